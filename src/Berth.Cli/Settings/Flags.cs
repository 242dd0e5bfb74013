using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Reflection;
using Berth.Docker;

namespace Berth.Cli.Settings;

/// <summary>
/// Options whose values are checked as they are parsed, so a bad one is a parse error: one line naming the flag,
/// what it accepts and what it got.
/// </summary>
internal static class Flags
{
    /// <summary>The longest duration a flag takes by default: what a timer (<c>Task.Delay</c>) can wait, about 24 days.</summary>
    public static readonly TimeSpan TimerLimit = TimeSpan.FromSeconds(int.MaxValue / 1000);

    /// <summary>A TCP port, 1–65535.</summary>
    public static Option<int> Port(string name, int defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "PORT",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            {
                return port;
            }

            result.AddError($"{name} must be a whole number from 1 to 65535 (got '{text}').");
            return 0;
        },
    };

    /// <summary>A whole number from <paramref name="minimum"/> to <paramref name="maximum"/>, or nothing (null) when not given.</summary>
    public static Option<int?> Whole(string name, int minimum, int maximum, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
            {
                return value;
            }

            result.AddError($"{name} must be a whole number from {minimum} to {maximum} (got '{text}').");
            return null;
        },
    };

    /// <summary>A TCP port an endpoint listens on, 1–65535, or 0 for "not served".</summary>
    public static Option<int> ListenPort(string name, int defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "PORT",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535)
            {
                return port;
            }

            result.AddError($"{name} must be a whole number from 0 (off) to 65535 (got '{text}').");
            return 0;
        },
    };

    /// <summary>A duration in seconds (fractions allowed) from <paramref name="minimum"/> to <paramref name="maximum"/>.</summary>
    public static Option<TimeSpan> Seconds(string name, TimeSpan defaultValue, TimeSpan minimum, TimeSpan maximum, string description) => new(name)
    {
        Description = description,
        HelpName = "SECONDS",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (ParseSeconds(text) is { } value && value >= minimum && value <= maximum)
            {
                return value;
            }

            result.AddError($"{name} must be a number of seconds from {minimum.TotalSeconds.ToString(CultureInfo.InvariantCulture)} to {maximum.TotalSeconds.ToString(CultureInfo.InvariantCulture)} (got '{text}').");
            return defaultValue;
        },
    };

    /// <summary>An IP address to listen on.</summary>
    public static Option<IPAddress> Address(string name, IPAddress defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "ADDR",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (IPAddress.TryParse(text, out var address))
            {
                return address;
            }

            result.AddError($"{name} must be an IP address such as 127.0.0.1 or 0.0.0.0 (got '{text}').");
            return defaultValue;
        },
    };

    /// <summary>An IPv4 network in CIDR notation with room for at least two hosts.</summary>
    public static Option<IPNetwork> Network(string name, IPNetwork defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "CIDR",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (IPNetwork.TryParse(text, out var network) && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && network.PrefixLength <= 30)
            {
                return network;
            }

            result.AddError($"{name} must be an IPv4 network such as 127.1.0.0/16, /30 or larger (got '{text}').");
            return defaultValue;
        },
    };

    /// <summary>An absolute http(s) URL.</summary>
    public static Option<Uri> Url(string name, Uri defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "URL",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result =>
        {
            var text = Single(result);
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
            {
                return url;
            }

            result.AddError($"{name} must be an http:// or https:// URL (got '{text}').");
            return defaultValue;
        },
    };

    /// <summary>One or more http(s) URLs, comma-separated.</summary>
    public static Option<Uri[]> Urls(string name, Uri defaultValue, string description) => new(name)
    {
        Description = description,
        HelpName = "URL[,URL...]",
        DefaultValueFactory = _ => [defaultValue],
        CustomParser = result =>
        {
            var text = Single(result);
            var urls = new List<Uri>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(part, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                {
                    result.AddError($"{name} must be http:// or https:// URLs separated by commas (got '{part}').");
                    return [defaultValue];
                }

                urls.Add(url);
            }

            return [.. urls];
        },
    };

    /// <summary>A non-empty text value.</summary>
    public static Option<string> Text(string name, string? defaultValue, string helpName, string description)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result =>
            {
                var text = Single(result);
                if (string.IsNullOrWhiteSpace(text))
                {
                    result.AddError($"{name} must not be empty.");
                }

                return text;
            },
        };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    /// <summary>The Docker Engine: <c>unix:///path</c> or <c>tcp://host:port</c>, as <see cref="DockerClient"/> reads it.</summary>
    public static Option<string> DockerHost(BerthEnvironment environment) => new("--docker-host")
    {
        Description = $"Docker Engine, unix:///path or tcp://host:port (default $DOCKER_HOST or {DockerClient.DefaultHost}).",
        HelpName = "HOST",
        DefaultValueFactory = _ => environment.DockerHost ?? DockerClient.DefaultHost,
        CustomParser = result => Single(result),
    };

    /// <summary>Why <paramref name="host"/> is no Docker Engine address <see cref="DockerClient"/> can use, or null.</summary>
    public static string? DockerHostProblem(string host, string source)
    {
        try
        {
            // The client's own reading of the address: what it refuses here it would refuse at start.
            using var client = new DockerClient(host);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"{source}: {ex.Message.Split(" (Parameter", 2)[0]}";
        }
    }

    /// <summary>
    /// <c>--docker-timeout NAME=SECONDS</c>, repeatable: one of the Docker client's named call timeouts
    /// (<see cref="DockerTimeouts"/>, e.g. <c>pull-image=1200</c>); <c>infinite</c> leaves a call bounded only by its caller.
    /// </summary>
    public static Option<DockerTimeouts> DockerTimeoutOverrides() => new("--docker-timeout")
    {
        Description = "A Docker call's timeout, NAME=SECONDS or NAME=infinite (repeatable); NAME is one of "
            + string.Join(", ", DockerTimeoutProperties.Keys) + ".",
        HelpName = "NAME=SECONDS",
        DefaultValueFactory = _ => DockerTimeouts.Default,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = result =>
        {
            var timeouts = DockerTimeouts.Default with { };
            foreach (var token in result.Tokens)
            {
                var parts = token.Value.Split('=', 2);
                if (parts.Length != 2 || !DockerTimeoutProperties.TryGetValue(parts[0], out var property))
                {
                    result.AddError($"--docker-timeout must be NAME=SECONDS with NAME one of {string.Join(", ", DockerTimeoutProperties.Keys)} (got '{token.Value}').");
                    return DockerTimeouts.Default;
                }

                var value = parts[1].Equals("infinite", StringComparison.OrdinalIgnoreCase) ? Timeout.InfiniteTimeSpan : ParseSeconds(parts[1]);
                if (value is not { } timeout || timeout != Timeout.InfiniteTimeSpan && (timeout <= TimeSpan.Zero || timeout > TimerLimit))
                {
                    result.AddError($"--docker-timeout {parts[0]} must be a number of seconds above 0 and at most {TimerLimit.TotalSeconds.ToString(CultureInfo.InvariantCulture)}, or infinite (got '{parts[1]}').");
                    return DockerTimeouts.Default;
                }

                property.SetValue(timeouts, timeout);
            }

            return timeouts;
        },
    };

    // Every settable TimeSpan of DockerTimeouts, by its name in kebab case (PullImage: pull-image).
    private static readonly SortedDictionary<string, PropertyInfo> DockerTimeoutProperties = new(
        typeof(DockerTimeouts).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.PropertyType == typeof(TimeSpan) && p.CanWrite)
            .ToDictionary(p => Kebab(p.Name), p => p),
        StringComparer.OrdinalIgnoreCase);

    private static string Kebab(string name)
        => string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static TimeSpan? ParseSeconds(string text)
        => double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds) && Math.Abs(seconds) <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
}
