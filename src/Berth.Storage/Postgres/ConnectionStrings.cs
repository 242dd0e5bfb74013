using System.Globalization;
using Npgsql;

namespace Berth.Storage.Postgres;

/// <summary>PostgreSQL's URL form (<c>postgres://user:password@host:port/database?sslmode=...</c>) as Npgsql's key=value form.</summary>
public static class ConnectionStrings
{
    /// <summary>
    /// The Npgsql connection string of <paramref name="value"/>: a <c>postgres://</c> or <c>postgresql://</c> URL
    /// (libpq's: percent-encoded user and password, a <c>host</c> query parameter for a Unix socket directory), or
    /// Npgsql's own key=value form, returned as given. Throws <see cref="FormatException"/> on anything else.
    /// </summary>
    public static string ToNpgsql(string value)
    {
        if (!value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(value).ConnectionString;
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"not a PostgreSQL URL or connection string: {ex.Message}", ex);
            }
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            throw new FormatException("not a valid postgres:// URL");
        }

        var builder = new NpgsqlConnectionStringBuilder();
        if (uri.Host.Length > 0)
        {
            builder.Host = uri.Host.Trim('[', ']');
        }

        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var parameter = equals < 0 ? string.Empty : Uri.UnescapeDataString(pair[(equals + 1)..]);
            try
            {
                switch (key)
                {
                    case "host":
                        builder.Host = parameter;
                        break;
                    case "port":
                        builder.Port = int.Parse(parameter, NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    case "sslmode":
                        builder["SSL Mode"] = parameter;
                        break;
                    case "application_name":
                        builder.ApplicationName = parameter;
                        break;
                    case "connect_timeout":
                        builder.Timeout = int.Parse(parameter, NumberStyles.None, CultureInfo.InvariantCulture);
                        break;
                    default:
                        builder[key] = parameter;
                        break;
                }
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
            {
                throw new FormatException($"the URL's parameter '{key}' is not valid: {ex.Message}", ex);
            }
        }

        return builder.ConnectionString;
    }
}
