namespace Berth.Protocol.RestJson;

/// <summary>Where a rest-json input member travels instead of the JSON body.</summary>
public enum RestLocation
{
    /// <summary>A label of the URI path, e.g. <c>{Name}</c> of <c>/schedules/{Name}</c>.</summary>
    Uri,

    /// <summary>A query-string parameter.</summary>
    Query,

    /// <summary>An HTTP header.</summary>
    Header,
}

/// <summary>The wire type of a member bound outside the body: how its text becomes a JSON value.</summary>
public enum RestValueKind
{
    /// <summary>Text as is.</summary>
    String,

    /// <summary>A whole number.</summary>
    Integer,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A list of strings: the parameter repeated.</summary>
    List,
}

/// <summary>An input member a rest-json model binds to the URI, the query string or a header.</summary>
/// <param name="Member">The member's JSON name in the input shape.</param>
/// <param name="Location">Where it travels.</param>
/// <param name="LocationName">Its name there (the URI label, query parameter or header).</param>
/// <param name="Kind">Its wire type.</param>
public sealed record RestMember(string Member, RestLocation Location, string LocationName, RestValueKind Kind);
