namespace Berth.Docker;

/// <summary>Volume operations (ECS <c>dockerVolumeConfiguration</c>).</summary>
public sealed partial class DockerClient
{
    public Task<VolumeInfo> CreateVolumeAsync(VolumeSpec spec, CancellationToken cancellationToken = default) =>
        CallAsync("CreateVolume", Timeouts.Volume, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Post, "volumes/create", JsonBody(spec, DockerJsonContext.Default.VolumeSpec), "CreateVolume", ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.VolumeInfo, ct);
        }, cancellationToken);

    public Task<VolumeInfo> InspectVolumeAsync(string name, CancellationToken cancellationToken = default) =>
        CallAsync("InspectVolume", Timeouts.Volume, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"volumes/{Escape(name)}", null, "InspectVolume", ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.VolumeInfo, ct);
        }, cancellationToken);

    public Task RemoveVolumeAsync(string name, bool force = false, CancellationToken cancellationToken = default) =>
        CallAsync("RemoveVolume", Timeouts.Volume, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Delete, $"volumes/{Escape(name)}?force={Flag(force)}", null, "RemoveVolume", ct);
            return true;
        }, cancellationToken);
}
