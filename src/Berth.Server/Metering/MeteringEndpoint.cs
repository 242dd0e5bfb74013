using System.Text.Json;
using Berth.Ecs.Arns;
using Berth.Ecs.Capacity;
using Berth.Ecs.Clusters;
using Berth.Ecs.State;
using Berth.Protocol.Auth;
using Berth.Protocol.Errors;
using Berth.Server.Edge;
using Berth.Storage.Commit;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Metering;

/// <summary>
/// <c>GET /_berth/metering[?cluster=NAME]</c>: FARGATE usage (vCPU-seconds, GB-seconds per task and in total) as
/// JSON, signed with SigV4 for service <c>ecs</c> like every other call. <c>./berth metering</c> reads it.
/// </summary>
public sealed class MeteringEndpoint(CommitPipeline<EcsState> pipeline, SigV4Verifier verifier, string accountId, TimeProvider time)
{
    /// <summary>Where the endpoint is served.</summary>
    public const string Path = "/_berth/metering";

    /// <summary>Answers one request.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        MeteringReport report;
        try
        {
            var identity = verifier.Verify(EdgeFrame.ToSigV4Request(http, ReadOnlyMemory<byte>.Empty));
            identity.RequireService("ecs");
            var state = pipeline.Current;
            var cluster = http.Request.Query["cluster"].ToString();
            var clusterArn = cluster.Length == 0 ? null : ClusterRules.RequireActive(state, new Scope(identity.Region, accountId), cluster).ClusterArn;
            report = FargateMetering.Report(state, accountId, clusterArn, time.GetUtcNow());
        }
        catch (AwsException ex)
        {
            await AwsJsonEdge.WriteErrorAsync(http, ex.StatusCode, ex.ErrorType, ex.Message);
            return;
        }

        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, report, MeteringJsonContext.Default.MeteringReport, http.RequestAborted);
    }
}
