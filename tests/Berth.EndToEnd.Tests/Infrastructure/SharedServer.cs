using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Berth.EndToEnd.Tests.Infrastructure;

/// <summary>One server for the tests that only add resources of their own names; started once per collection.</summary>
public sealed class SharedServerFixture : IAsyncLifetime
{
    private readonly TempDir _dataDir = new("berth-e2e-shared-");
    private readonly ConcurrentDictionary<string, Lazy<Task<JsonNode>>> _scripts = new(StringComparer.Ordinal);

    /// <summary>The running server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>A scratch directory for files the clients read (cli-input-json).</summary>
    public TempDir Scratch { get; } = new("berth-e2e-scratch-");

    /// <summary>Runs a script once for every test that asserts on its report.</summary>
    public Task<JsonNode> ScriptOnceAsync(string script)
        => _scripts.GetOrAdd(script, name => new Lazy<Task<JsonNode>>(() => Clients.PythonAsync(Server, name))).Value;

    /// <inheritdoc />
    public async Task InitializeAsync() => Server = await BerthServer.StartAsync(_dataDir.Path);

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        _dataDir.Dispose();
        Scratch.Dispose();
    }
}

/// <summary>The collection whose tests share <see cref="SharedServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<SharedServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Shared Berth server";
}

/// <summary>Tests that start, kill and restart servers of their own; serialized so they do not starve each other of CPU.</summary>
[CollectionDefinition(Name)]
public sealed class OwnServerCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Own Berth servers";
}
