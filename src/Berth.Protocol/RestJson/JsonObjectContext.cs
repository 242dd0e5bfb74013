using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Berth.Protocol.RestJson;

/// <summary>The JSON context of the bound input object (source-generated: the build forbids reflection-based JSON).</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonObjectContext : JsonSerializerContext
{
}
