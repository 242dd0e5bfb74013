using System.Collections;
using System.Text.Json.Serialization.Metadata;
using Berth.Protocol.Errors;

namespace Berth.Protocol.Dispatch;

/// <summary>
/// Checks the members a service model marks required, at every depth of an input, and refuses null list elements and
/// map values (SerializationException), which no AWS SDK sends and no handler expects.
/// </summary>
public static class RequiredMembers
{
    /// <summary>No member required (the nulls in lists and maps are still refused).</summary>
    public static IReadOnlyDictionary<Type, string[]> None { get; } = new Dictionary<Type, string[]>();

    /// <summary>
    /// Throws InvalidParameterException naming the first required member that is missing.
    /// <paramref name="required"/> maps a shape's type to its required wire member names; <paramref name="missing"/>
    /// makes the error from the member's path instead (services whose error for a missing member is not ECS's).
    /// </summary>
    public static void Check(object value, JsonTypeInfo typeInfo, IReadOnlyDictionary<Type, string[]> required, string path = "", Func<string, AwsException>? missing = null)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        required.TryGetValue(typeInfo.Type, out var names);
        foreach (var property in typeInfo.Properties)
        {
            var member = property.Get?.Invoke(value);
            if (member is null)
            {
                if (names is not null && Array.IndexOf(names, property.Name) >= 0)
                {
                    throw missing is null ? AwsException.InvalidParameter($"{path}{property.Name} can not be null.") : missing(path + property.Name);
                }

                continue;
            }

            var memberInfo = typeInfo.Options.GetTypeInfo(property.PropertyType);
            switch (memberInfo.Kind)
            {
                case JsonTypeInfoKind.Object:
                    Check(member, memberInfo, required, $"{path}{property.Name}.", missing);
                    break;
                case JsonTypeInfoKind.Enumerable when memberInfo.ElementType is { } element && member is IEnumerable items:
                    var elementInfo = typeInfo.Options.GetTypeInfo(element);
                    var index = 0;
                    foreach (var item in items)
                    {
                        // AWS's serializers never send a null element; a list with one is not a well-formed input.
                        if (item is null)
                        {
                            throw AwsException.Serialization($"Unexpected null element in member '{path}{property.Name}'.");
                        }

                        if (elementInfo.Kind == JsonTypeInfoKind.Object)
                        {
                            Check(item, elementInfo, required, $"{path}{property.Name}[{index}].", missing);
                        }

                        index++;
                    }

                    break;
                case JsonTypeInfoKind.Dictionary when member is IDictionary map:
                    var valueInfo = memberInfo.ElementType is { } valueType ? typeInfo.Options.GetTypeInfo(valueType) : null;
                    foreach (DictionaryEntry entry in map)
                    {
                        if (entry.Value is null)
                        {
                            throw AwsException.Serialization($"Unexpected null value in member '{path}{property.Name}'.");
                        }

                        if (valueInfo?.Kind == JsonTypeInfoKind.Object)
                        {
                            Check(entry.Value, valueInfo, required, $"{path}{property.Name}.{entry.Key}.", missing);
                        }
                    }

                    break;
            }
        }
    }
}
