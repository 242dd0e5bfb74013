using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.LoadBalancing.Tests.DataPlane;

/// <summary>
/// A real Kestrel backend on loopback. <c>/health</c> answers <see cref="HealthStatus"/>; <c>/headers</c> returns the
/// request headers as JSON; <c>/hold</c> waits until <see cref="Release"/>; <c>/ws</c> echoes WebSocket messages;
/// anything else answers the backend's name.
/// </summary>
public sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private TaskCompletionSource _hold = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;
    private int _holding;

    private Backend(string name, WebApplication app)
    {
        Name = name;
        _app = app;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public volatile int HealthStatus = 200;

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Requests waiting in <c>/hold</c> now.</summary>
    public int Holding => Volatile.Read(ref _holding);

    public static async Task<Backend> StartAsync(string name)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var backend = new Backend(name, app);
        app.UseWebSockets();
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        backend.Port = new Uri(address).Port;
        return backend;
    }

    public void Release()
    {
        var hold = Interlocked.Exchange(ref _hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        hold.TrySetResult();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path == "/health")
        {
            context.Response.StatusCode = HealthStatus;
            return;
        }
        Interlocked.Increment(ref _requests);
        context.Response.Headers["X-Backend"] = Name;
        switch (path)
        {
            case "/headers":
                await context.Response.WriteAsJsonAsync(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString()));
                break;
            case "/hold":
                Interlocked.Increment(ref _holding);
                try
                {
                    await _hold.Task.WaitAsync(context.RequestAborted);
                }
                finally
                {
                    Interlocked.Decrement(ref _holding);
                }
                await context.Response.WriteAsync(Name + " held");
                break;
            case "/ws" when context.WebSockets.IsWebSocketRequest:
                using (var socket = await context.WebSockets.AcceptWebSocketAsync())
                {
                    var buffer = new byte[4096];
                    while (true)
                    {
                        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                        if (received.MessageType == WebSocketMessageType.Close)
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                            break;
                        }
                        var reply = System.Text.Encoding.UTF8.GetBytes($"{Name}:{System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count)}");
                        await socket.SendAsync(reply, WebSocketMessageType.Text, true, CancellationToken.None);
                    }
                }
                break;
            default:
                await context.Response.WriteAsync(Name);
                break;
        }
    }

    public static Dictionary<string, string> ParseHeaders(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
