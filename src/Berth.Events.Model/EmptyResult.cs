using System.Text.Json.Serialization;

namespace Berth.Events.Model;

/// <summary>The answer of an operation whose model has no output shape (EnableRule, DeleteRule, ...): <c>{}</c>.</summary>
public sealed class EmptyResult
{
}

/// <summary>The JSON context of <see cref="EmptyResult"/>, kept apart from the generated one.</summary>
[JsonSerializable(typeof(EmptyResult))]
public sealed partial class EmptyResultJsonContext : JsonSerializerContext
{
}
