using Berth.Storage.Postgres;
using Npgsql;

namespace Berth.Storage.Tests;

/// <summary>The URL forms <c>--database</c> takes.</summary>
public sealed class ConnectionStringsTests
{
    [Fact]
    public void AUrlBecomesNpgsqlsKeysWithItsPartsDecoded()
    {
        var built = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("postgres://berth:p%40ss%3Aword@db.example:6543/state?sslmode=disable&application_name=b1"));
        Assert.Equal(("db.example", 6543, "berth", "p@ss:word", "state", SslMode.Disable, "b1"), (built.Host, built.Port, built.Username, built.Password, built.Database, built.SslMode, built.ApplicationName));
    }

    [Fact]
    public void AUnixSocketDirectoryComesAsTheHostParameter()
    {
        var built = new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("postgresql:///berth?host=/var/run/postgresql"));
        Assert.Equal(("/var/run/postgresql", "berth"), (built.Host, built.Database));
    }

    [Fact]
    public void NpgsqlsOwnFormPassesThrough()
        => Assert.Equal("berth", new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql("Host=127.0.0.1;Database=berth")).Database);

    [Theory]
    [InlineData("postgres://h/db?nonsense=1")]
    [InlineData("postgres://h/db?port=x")]
    [InlineData("mysql://h/db")]
    public void AnythingElseIsAFormatError(string value) => Assert.Throws<FormatException>(() => ConnectionStrings.ToNpgsql(value));
}
