using System.Text.Json.Serialization;
using Berth.Ecs.Model;

namespace Berth.Ecs.State;

/// <summary>
/// Writes the wire shapes RunTask serializes for itself (a request's fingerprint, a task's frozen overrides) exactly
/// as <see cref="WireJsonContext"/> writes them, through System.Text.Json's generated fast path. The wire context's
/// options carry the epoch-seconds converter, and any converter in the options turns that path off for every type;
/// these shapes hold no time, so they need none. A test holds the output equal to the wire context's.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(RunTaskRequest))]
[JsonSerializable(typeof(TaskOverride))]
public sealed partial class WireWriting : JsonSerializerContext;
