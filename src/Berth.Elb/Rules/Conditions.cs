using System.Collections.Immutable;
using System.Net;
using System.Text.RegularExpressions;
using Berth.Elb.Model;
using Berth.Elb.State;

namespace Berth.Elb.Rules;

/// <summary>Rule conditions: ALB's checks and limits, and the mapping between the wire shapes and the records.</summary>
public static partial class Conditions
{
    /// <summary>ALB's limit on the values of all of a rule's conditions together.</summary>
    public const int MaxValuesPerRule = 5;

    private static readonly string[] SingleFields = ["path-pattern", "host-header", "http-request-method", "source-ip"];

    /// <summary>Checks <paramref name="conditions"/> as ALB does and returns them as records.</summary>
    public static ImmutableArray<ConditionRecord> Parse(List<RuleCondition>? conditions)
    {
        if (conditions is null || conditions.Count == 0)
        {
            throw ElbErrors.Validation("A rule must have at least one condition");
        }

        var records = conditions.Select(ParseOne).ToImmutableArray();
        foreach (var field in SingleFields)
        {
            if (records.Count(r => r.Field == field) > 1)
            {
                throw ElbErrors.Validation($"A rule can have at most one '{field}' condition");
            }
        }

        var values = records.Sum(r => r.Field == "query-string" ? r.QueryPatterns.Length : r.Values.Length);
        if (values > MaxValuesPerRule)
        {
            throw ElbErrors.Validation($"A rule can only have '{MaxValuesPerRule}' condition values");
        }

        return records;
    }

    private static ConditionRecord ParseOne(RuleCondition condition)
    {
        switch (condition.Field)
        {
            case "path-pattern":
                return Patterns(condition.Field, condition.PathPatternConfig?.Values, condition.Values, 128, v => v.Length > 0);
            case "host-header":
                return Patterns(condition.Field, condition.HostHeaderConfig?.Values, condition.Values, 128, v => HostPattern().IsMatch(v));
            case "http-request-method":
                return Patterns(condition.Field, condition.HttpRequestMethodConfig?.Values, condition.Values, 40, v => MethodPattern().IsMatch(v));
            case "source-ip":
                return Patterns(condition.Field, condition.SourceIpConfig?.Values, condition.Values, 128, v => IPNetwork.TryParse(v, out _));
            case "http-header":
                var header = condition.HttpHeaderConfig ?? throw ElbErrors.Validation("An http-header condition must have an HttpHeaderConfig");
                if (string.IsNullOrEmpty(header.HttpHeaderName) || header.HttpHeaderName.Length > 40 || !TokenPattern().IsMatch(header.HttpHeaderName))
                {
                    throw ElbErrors.Validation($"The HTTP header name '{header.HttpHeaderName}' is not valid");
                }

                return Patterns(condition.Field, header.Values, null, 128, v => v.Length > 0) with { HeaderName = header.HttpHeaderName };
            case "query-string":
                var pairs = condition.QueryStringConfig?.Values;
                if (pairs is null || pairs.Count == 0)
                {
                    throw ElbErrors.Validation("A query-string condition must have at least one key/value pair");
                }

                foreach (var pair in pairs)
                {
                    if (string.IsNullOrEmpty(pair.Value) || pair.Value.Length > 128 || pair.Key is { Length: > 128 } || pair.Key is { Length: 0 })
                    {
                        throw ElbErrors.Validation($"The query string condition '{pair.Key}={pair.Value}' is not valid: the value is required, key and value at most 128 characters");
                    }
                }

                return new ConditionRecord { Field = condition.Field, QueryPatterns = [.. pairs.Select(p => new QueryPattern(p.Key, p.Value!))] };
            default:
                throw ElbErrors.Validation($"The condition field '{condition.Field}' is not valid: it must be one of path-pattern, host-header, http-header, http-request-method, query-string, source-ip");
        }
    }

    private static ConditionRecord Patterns(string field, List<string>? configured, List<string>? legacy, int maxLength, Func<string, bool> valid)
    {
        if (configured is not null && legacy is { Count: > 0 })
        {
            throw ElbErrors.Validation($"A '{field}' condition cannot have both Values and a {field} config");
        }

        var values = configured ?? legacy;
        if (values is null || values.Count == 0)
        {
            throw ElbErrors.Validation($"A '{field}' condition must have at least one value");
        }

        foreach (var value in values)
        {
            if (value.Length > maxLength || !valid(value))
            {
                throw ElbErrors.Validation($"The '{field}' condition value '{value}' is not valid");
            }
        }

        return new ConditionRecord { Field = field, Values = [.. values] };
    }

    /// <summary>The wire shape of <paramref name="record"/>, as DescribeRules shows it.</summary>
    public static RuleCondition ToWire(ConditionRecord record)
    {
        var values = record.Values.ToList();
        var wire = new RuleCondition { Field = record.Field };
        switch (record.Field)
        {
            case "path-pattern":
                wire.Values = values;
                wire.PathPatternConfig = new PathPatternConditionConfig { Values = [.. values] };
                break;
            case "host-header":
                wire.Values = values;
                wire.HostHeaderConfig = new HostHeaderConditionConfig { Values = [.. values] };
                break;
            case "http-request-method":
                wire.HttpRequestMethodConfig = new HttpRequestMethodConditionConfig { Values = values };
                break;
            case "source-ip":
                wire.SourceIpConfig = new SourceIpConditionConfig { Values = values };
                break;
            case "http-header":
                wire.HttpHeaderConfig = new HttpHeaderConditionConfig { HttpHeaderName = record.HeaderName, Values = values };
                break;
            case "query-string":
                wire.QueryStringConfig = new QueryStringConditionConfig { Values = [.. record.QueryPatterns.Select(p => new QueryStringKeyValuePair { Key = p.Key, Value = p.Value })] };
                break;
        }

        return wire;
    }

    [GeneratedRegex("^[A-Za-z0-9.*?-]+$")]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[A-Z_-]+$")]
    private static partial Regex MethodPattern();

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")]
    private static partial Regex TokenPattern();
}
