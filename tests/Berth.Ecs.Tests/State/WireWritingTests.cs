using System.Collections;
using System.Reflection;
using System.Text.Json;
using Berth.Ecs.Model;
using Berth.Ecs.State;

namespace Berth.Ecs.Tests.State;

/// <summary>
/// The fast writing context must write what the wire context writes: request fingerprints are stored with client
/// tokens, and a task's overrides are answered as they were frozen.
/// </summary>
public sealed class WireWritingTests
{
    [Fact]
    public void EveryMemberOfARunTaskRequestIsWrittenAsTheWireContextWritesIt()
    {
        var request = (RunTaskRequest)Filled(typeof(RunTaskRequest), 0);

        var wire = JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.RunTaskRequest);
        var fast = JsonSerializer.SerializeToUtf8Bytes(request, WireWriting.Default.RunTaskRequest);

        Assert.Equal(System.Text.Encoding.UTF8.GetString(wire), System.Text.Encoding.UTF8.GetString(fast));
        Assert.Contains("\"containerOverrides\":[{", System.Text.Encoding.UTF8.GetString(fast), StringComparison.Ordinal);

        // What the context is for: the generated writer, which the wire context's options turn off.
        Assert.NotNull(WireWriting.Default.RunTaskRequest.SerializeHandler);
    }

    [Fact]
    public void AFingerprintIsTheHashOfTheRequestAsTheWireWritesItWhateverCameBeforeOnTheThread()
    {
        var filled = (RunTaskRequest)Filled(typeof(RunTaskRequest), 0);
        var small = new RunTaskRequest { TaskDefinition = "web", ClientToken = "t" };
        foreach (var request in new[] { filled, small, filled, new RunTaskRequest() })
        {
            var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, WireJsonContext.Default.RunTaskRequest)));
            Assert.Equal(expected, Berth.Ecs.Tasks.TaskDecisions.Fingerprint(request));
        }
    }

    [Fact]
    public void OverridesAndAnEmptyRequestAreWrittenAsTheWireContextWritesThem()
    {
        var overrides = (TaskOverride)Filled(typeof(TaskOverride), 0);
        Assert.Equal(
            JsonSerializer.Serialize(overrides, WireJsonContext.Default.TaskOverride),
            JsonSerializer.Serialize(overrides, WireWriting.Default.TaskOverride));
        Assert.Equal(
            JsonSerializer.Serialize(new RunTaskRequest(), WireJsonContext.Default.RunTaskRequest),
            JsonSerializer.Serialize(new RunTaskRequest(), WireWriting.Default.RunTaskRequest));
    }

    [Fact]
    public void NoMemberReachableFromTheseShapesIsATime()
    {
        // A time would need the wire context's epoch-seconds converter, which the fast context does not have.
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>([typeof(RunTaskRequest), typeof(TaskOverride)]);
        while (pending.TryPop(out var type))
        {
            if (!seen.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var member = Element(property.PropertyType);
                Assert.False(member == typeof(DateTimeOffset) || member == typeof(DateTime), $"{type.Name}.{property.Name} is a time");
                if (member.Namespace == typeof(RunTaskRequest).Namespace && member.IsClass)
                {
                    pending.Push(member);
                }
            }
        }

        Assert.Contains(typeof(ContainerOverride), seen);
    }

    private static Type Element(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type != typeof(string) && type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type))
        {
            return Element(type.GetGenericArguments()[^1]);
        }

        return type;
    }

    // Every member set: strings, numbers and flags to a value, lists to one filled element, maps to one entry.
    private static object Filled(Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "v\u00e9\"" + depth;
        }

        if (type == typeof(int))
        {
            return 7 + depth;
        }

        if (type == typeof(long))
        {
            return 70L + depth;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(double))
        {
            return 1.5;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
        {
            var list = (IList)Activator.CreateInstance(type)!;
            list.Add(Filled(type.GetGenericArguments()[0], depth + 1));
            return list;
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var map = (IDictionary)Activator.CreateInstance(type)!;
            map.Add("k", Filled(type.GetGenericArguments()[1], depth + 1));
            return map;
        }

        var value = Activator.CreateInstance(type)!;
        if (depth < 6)
        {
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                property.SetValue(value, Filled(property.PropertyType, depth + 1));
            }
        }

        return value;
    }
}
