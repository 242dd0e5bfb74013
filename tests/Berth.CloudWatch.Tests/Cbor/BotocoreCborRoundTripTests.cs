using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.CloudWatch.Model;
using Berth.Protocol.Cbor;

namespace Berth.CloudWatch.Tests.Cbor;

/// <summary>Runs the samples script once: every cloudwatch operation's sample input, its body from botocore's CBOR serializer, and a sample output.</summary>
public sealed class BotocoreSamples
{
    /// <summary>The samples, one per operation of the model.</summary>
    public JsonArray Operations { get; } = JsonNode.Parse(Python.Run("cbor_samples.py", null))!.AsArray();
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
/// The CBOR transcoding against botocore itself: every cloudwatch operation's input, serialized by botocore's Smithy RPC
/// v2 CBOR serializer, reads (through JSON) into the generated shape member for member; every operation's output,
/// written by the generated JSON context and transcoded, is what botocore's CBOR parser reads back, timestamps as
/// datetimes and doubles as floats; errors parse into the model's code.
/// </summary>
public sealed class BotocoreCborRoundTripTests(BotocoreSamples samples) : IClassFixture<BotocoreSamples>
{
    internal static readonly CborMembers Members = new(WireCbor.TimestampMembers, WireCbor.DoubleMembers, WireCbor.BlobMembers);

    private static readonly Dictionary<string, (Type? Input, Type? Output)> Shapes = WireOperations.All.ToDictionary(o => o.Name, o => (o.Input, o.Output));

    [Fact]
    public void Every_operation_of_the_model_has_a_sample_at_its_rpc_v2_path()
    {
        Assert.Equal(Shapes.Keys.Order(), samples.Operations.Select(o => (string)o!["op"]!).Order());
        Assert.All(samples.Operations, o => Assert.Equal($"/service/{WireCbor.ServiceShape}/operation/{(string)o!["op"]!}", (string?)o["path"]));
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

            var json = CborJson.ToJson(Convert.FromHexString((string)sample["body"]!));
            var read = JsonSerializer.Deserialize(json, WireJsonContext.Default.GetTypeInfo(type)!);
            var again = JsonNode.Parse(JsonSerializer.Serialize(read, WireJsonContext.Default.GetTypeInfo(type)!));
            AssertSameJson(sample["input"], again, op);
            checkedCount++;
        }

        Assert.True(checkedCount >= 40, $"only {checkedCount} inputs checked");
    }

    [Fact]
    public void Every_output_transcoded_to_CBOR_is_what_botocore_parses()
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

            var info = WireJsonContext.Default.GetTypeInfo(type)!;
            var output = JsonSerializer.Deserialize(sample["output"]!.ToJsonString(), info)!;
            var cbor = CborJson.ToCbor(JsonSerializer.SerializeToUtf8Bytes(output, info), Members);
            written.Add(new JsonObject { ["op"] = op, ["cbor"] = Convert.ToHexString(cbor) });
            expected.Add((op, sample["output"]));
        }

        var parsed = JsonNode.Parse(Python.Run("cbor_samples.py", written.ToJsonString(), "parse"))!.AsArray();
        Assert.Equal(expected.Count, parsed.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertSameJson(expected[i].Output, parsed[i], expected[i].Op);
        }
    }

    [Fact]
    public void A_whole_double_stays_a_float_and_a_timestamp_a_datetime()
    {
        var output = new GetMetricStatisticsOutput
        {
            Label = "CPUUtilization",
            Datapoints = [new Datapoint { Timestamp = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), SampleCount = 2, Average = 50, Unit = "Percent" }],
        };
        var cbor = CborJson.ToCbor(JsonSerializer.SerializeToUtf8Bytes(output, WireJsonContext.Default.GetMetricStatisticsOutput), Members);
        var request = new JsonArray { new JsonObject { ["op"] = "GetMetricStatistics", ["cbor"] = Convert.ToHexString(cbor) } };
        var point = JsonNode.Parse(Python.Run("cbor_samples.py", request.ToJsonString(), "parse"))!.AsArray()[0]!["Datapoints"]![0]!;
        Assert.Equal("2.0", point["SampleCount"]!.ToJsonString());
        Assert.Equal("50.0", point["Average"]!.ToJsonString());
        Assert.Equal(1_800_000_000.0, (double)point["Timestamp"]!);
    }

    [Fact]
    public void An_error_parses_into_the_models_code_and_message()
    {
        var body = CborJson.Map(("__type", "InvalidParameterValueException"), ("message", "The value x for parameter Period is invalid."));
        var request = new JsonArray
        {
            new JsonObject
            {
                ["op"] = "GetMetricStatistics",
                ["cbor"] = Convert.ToHexString(body),
                ["status"] = 400,
                ["headers"] = new JsonObject { ["x-amzn-query-error"] = "InvalidParameterValue;Sender" },
            },
        };
        var parsed = JsonNode.Parse(Python.Run("cbor_samples.py", request.ToJsonString(), "parse"))!.AsArray()[0]!;
        Assert.Equal("InvalidParameterValue", (string?)parsed["Error"]!["Code"]);
        Assert.Equal("The value x for parameter Period is invalid.", (string?)parsed["Error"]!["Message"]);
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
