namespace Berth.Docker;

/// <summary>Network operations.</summary>
public sealed partial class DockerClient
{
    public Task<string> CreateNetworkAsync(NetworkSpec spec, CancellationToken cancellationToken = default) =>
        CallAsync("CreateNetwork", Timeouts.Network, async ct =>
        {
            using var response = await SendAsync(
                HttpMethod.Post, "networks/create", JsonBody(spec, DockerJsonContext.Default.NetworkSpec), "CreateNetwork", ct);
            return (await ReadJsonAsync(response, DockerJsonContext.Default.CreateNetworkResponse, ct)).Id;
        }, cancellationToken);

    public Task<NetworkInspect> InspectNetworkAsync(string idOrName, CancellationToken cancellationToken = default) =>
        CallAsync("InspectNetwork", Timeouts.Network, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Get, $"networks/{Escape(idOrName)}", null, "InspectNetwork", ct);
            return await ReadJsonAsync(response, DockerJsonContext.Default.NetworkInspect, ct);
        }, cancellationToken);

    public Task ConnectNetworkAsync(string network, string container, IReadOnlyList<string>? aliases = null, CancellationToken cancellationToken = default) =>
        CallAsync("ConnectNetwork", Timeouts.Network, async ct =>
        {
            var body = new NetworkConnectRequest
            {
                Container = container,
                EndpointConfig = aliases is { Count: > 0 } ? new EndpointConfig { Aliases = aliases } : null,
            };
            using var response = await SendAsync(
                HttpMethod.Post, $"networks/{Escape(network)}/connect", JsonBody(body, DockerJsonContext.Default.NetworkConnectRequest), "ConnectNetwork", ct);
            return true;
        }, cancellationToken);

    public Task DisconnectNetworkAsync(string network, string container, bool force = false, CancellationToken cancellationToken = default) =>
        CallAsync("DisconnectNetwork", Timeouts.Network, async ct =>
        {
            var body = new NetworkDisconnectRequest { Container = container, Force = force };
            using var response = await SendAsync(
                HttpMethod.Post, $"networks/{Escape(network)}/disconnect", JsonBody(body, DockerJsonContext.Default.NetworkDisconnectRequest), "DisconnectNetwork", ct);
            return true;
        }, cancellationToken);

    public Task RemoveNetworkAsync(string idOrName, CancellationToken cancellationToken = default) =>
        CallAsync("RemoveNetwork", Timeouts.Network, async ct =>
        {
            using var response = await SendAsync(HttpMethod.Delete, $"networks/{Escape(idOrName)}", null, "RemoveNetwork", ct);
            return true;
        }, cancellationToken);
}
