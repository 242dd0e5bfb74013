using System.Text.Json.Serialization;

namespace Berth.CloudWatch.Model;

/// <summary>The answer of an operation whose model has no output shape (PutMetricData, DeleteAlarms): <c>{}</c>.</summary>
public sealed class EmptyResult
{
}

/// <summary>The JSON context of <see cref="EmptyResult"/>, kept apart from the generated one.</summary>
[JsonSerializable(typeof(EmptyResult))]
public sealed partial class EmptyResultJsonContext : JsonSerializerContext
{
}
