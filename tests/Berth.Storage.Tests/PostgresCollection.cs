using Berth.Tests.Shared;

namespace Berth.Storage.Tests;

/// <summary>One PostgreSQL server for every test of the collection; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public PostgresServer Server { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>The tests that share <see cref="PostgresFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "postgres";
}
