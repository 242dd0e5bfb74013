namespace Berth.Tests.Shared;

/// <summary>One real PostgreSQL (<see cref="PostgresServer"/>) for every test of a class or collection; each test makes its own database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The server.</summary>
    public PostgresServer Server { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await Server.DisposeAsync();
}
