using System.Globalization;
using System.Text.Json;
using Berth.Ecs.Capacity;
using Berth.Ecs.State;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Server.Edge;
using Berth.Storage.Commit;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Capacity;

/// <summary>
/// <c>POST /_berth/spot/interrupt[?task=ARN | ?count=N]</c>, signed with SigV4 for service <c>ecs</c>: an operator
/// takes FARGATE_SPOT capacity back. The tasks are chosen on the current snapshot (<see cref="SpotInterruptions.ForOperator"/>)
/// and interrupted by the writer (<see cref="SpotInterruptions.Apply"/>); the answer lists the tasks interrupted.
/// <c>./berth spot interrupt</c> calls it.
/// </summary>
public sealed class SpotEndpoint(CommitPipeline<EcsState> pipeline, SigV4Verifier verifier, string accountId, TimeProvider time)
{
    /// <summary>Where the endpoint is served.</summary>
    public const string Path = "/_berth/spot/interrupt";

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        IReadOnlyList<string> interrupted;
        try
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, ReadOnlyMemory<byte>.Empty));
            identity.RequireService("ecs");
            var task = http.Request.Query["task"].ToString();
            var countText = http.Request.Query["count"].ToString();
            int? count = null;
            if (countText.Length > 0)
            {
                count = int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw AwsException.InvalidParameter("count must be a whole number.");
            }

            var planned = SpotInterruptions.ForOperator(pipeline.Current, accountId, task.Length == 0 ? null : task, count);
            interrupted = planned.Count == 0 ? [] : await pipeline.ExecuteAsync(state => SpotInterruptions.Apply(state, planned, time.GetUtcNow()));
        }
        catch (AwsException ex)
        {
            await AwsJsonEdge.WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
            return;
        }

        http.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(http.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("interrupted");
        foreach (var arn in interrupted)
        {
            writer.WriteStringValue(arn);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        await writer.FlushAsync(http.RequestAborted);
    }
}
