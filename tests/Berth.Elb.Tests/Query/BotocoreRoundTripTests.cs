using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Elb.Model;
using Berth.Protocol.Query;

namespace Berth.Elb.Tests.Query;

/// <summary>Runs the samples script once: every elbv2 operation's sample input, its body from botocore's query serializer, and a sample output.</summary>
public sealed class BotocoreSamples
{
    /// <summary>The samples, one per operation of the model.</summary>
    public JsonArray Operations { get; } = JsonNode.Parse(Python.Run("query_samples.py", null))!.AsArray();
}

/// <summary>Runs python3 with a script of the test's output folder.</summary>
internal static class Python
{
    public static string Run(string script, string? stdin, params string[] arguments)
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "scripts", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin ?? string.Empty);
        process.StandardInput.Close();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr.Result);
        return stdout.Result;
    }
}

/// <summary>
/// The query codec against botocore itself: every operation's input, serialized by botocore's query serializer, reads
/// back into the generated shape member for member; every operation's output, written by the generated writer, is what
/// botocore's query parser reads back; and errors parse into the code and message.
/// </summary>
public sealed class BotocoreRoundTripTests(BotocoreSamples samples) : IClassFixture<BotocoreSamples>
{
    private static readonly Dictionary<string, (Type? Input, Type? Output)> Shapes = WireOperations.All.ToDictionary(o => o.Name, o => (o.Input, o.Output));

    [Fact]
    public void Every_operation_of_the_model_has_a_sample()
    {
        Assert.Equal(Shapes.Keys.Order(), samples.Operations.Select(o => (string)o!["op"]!).Order());
    }

    [Fact]
    public void Every_input_serialized_by_botocore_reads_back_into_the_generated_shape()
    {
        var checkedCount = 0;
        foreach (var sample in samples.Operations)
        {
            var op = (string)sample!["op"]!;
            if (Shapes[op].Input is not { } type)
            {
                continue;
            }

            var form = QueryForm.Parse(Encoding.UTF8.GetBytes((string)sample["body"]!));
            Assert.Equal(op, form["Action"]);
            Assert.Equal("2015-12-01", form["Version"]);
            var read = type.GetMethod("ReadQuery", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, [new QueryReader(form), string.Empty]);
            var json = JsonNode.Parse(JsonSerializer.Serialize(read, WireJsonContext.Default.GetTypeInfo(type)!));
            AssertSameJson(sample["input"], json, op);
            checkedCount++;
        }

        Assert.True(checkedCount >= 50, $"only {checkedCount} inputs checked");
    }

    [Fact]
    public void Every_output_written_as_XML_is_what_botocore_parses()
    {
        var written = new JsonArray();
        var expected = new List<(string Op, JsonNode? Output)>();
        foreach (var sample in samples.Operations)
        {
            var op = (string)sample!["op"]!;
            if (Shapes[op].Output is not { } type)
            {
                continue;
            }

            var output = JsonSerializer.Deserialize(sample["output"]!.ToJsonString(), WireJsonContext.Default.GetTypeInfo(type)!)!;
            var response = typeof(QueryXmlWriter).GetMethod(nameof(QueryXmlWriter.Response))!.MakeGenericMethod(type)
                .Invoke(null, [op, WireQuery.XmlNamespace, "req-1", output]);
            written.Add(new JsonObject { ["op"] = op, ["xml"] = Encoding.UTF8.GetString((byte[])response!) });
            expected.Add((op, sample["output"]));
        }

        var parsed = JsonNode.Parse(Python.Run("query_samples.py", written.ToJsonString(), "parse"))!.AsArray();
        Assert.Equal(expected.Count, parsed.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSameJson(expected[i].Output, parsed[i], expected[i].Op);
        }
    }

    [Fact]
    public void An_error_parses_into_its_code_message_and_request_id()
    {
        var xml = Encoding.UTF8.GetString(QueryXmlWriter.Error(WireQuery.XmlNamespace, "LoadBalancerNotFound", "Load balancer 'a & <b>' not found", "req-9", senderFault: true));
        var request = new JsonArray { new JsonObject { ["op"] = "DescribeLoadBalancers", ["xml"] = xml, ["status"] = 400 } };
        var parsed = JsonNode.Parse(Python.Run("query_samples.py", request.ToJsonString(), "parse"))!.AsArray()[0]!;
        Assert.Equal("LoadBalancerNotFound", (string?)parsed["Error"]!["Code"]);
        Assert.Equal("Load balancer 'a & <b>' not found", (string?)parsed["Error"]!["Message"]);
        Assert.Equal("Sender", (string?)parsed["Error"]!["Type"]);
    }

    private static void AssertSameJson(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected)
        {
            case null:
                Assert.True(actual is null, $"{path}: expected nothing, got {actual?.ToJsonString()}");
                break;
            case JsonObject obj:
                var other = Assert.IsType<JsonObject>(actual, exactMatch: false);
                Assert.True(obj.Count == other.Count, $"{path}: expected members {string.Join(",", obj.Select(p => p.Key))}, got {string.Join(",", other.Select(p => p.Key))}");
                foreach (var (name, value) in obj)
                {
                    AssertSameJson(value, other[name], path + "." + name);
                }

                break;
            case JsonArray array:
                var items = Assert.IsType<JsonArray>(actual, exactMatch: false);
                Assert.True(array.Count == items.Count, $"{path}: expected {array.Count} items, got {items.Count}");
                for (var i = 0; i < array.Count; i++)
                {
                    AssertSameJson(array[i], items[i], $"{path}[{i}]");
                }

                break;
            default:
                var e = expected.AsValue();
                var a = Assert.IsType<JsonValue>(actual, exactMatch: false);
                if (e.TryGetValue<double>(out var number))
                {
                    Assert.True(a.TryGetValue<double>(out var got) && Math.Abs(got - number) < 1e-6, $"{path}: expected {number}, got {a.ToJsonString()}");
                }
                else
                {
                    Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected.ToJsonString()}, got {actual!.ToJsonString()}");
                }

                break;
        }
    }
}
