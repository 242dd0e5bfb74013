using System.CommandLine;
using Berth.Server.Hosting;

var port = new Option<int>("--port") { Description = $"Port to listen on (default {ServerOptions.DefaultPort}).", DefaultValueFactory = _ => ServerOptions.DefaultPort };
var bind = new Option<string>("--bind") { Description = "Address to listen on (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
var dataDir = new Option<string>("--data-dir") { Description = "State directory (default $BERTH_DATA_DIR or ~/.berth).", DefaultValueFactory = _ => ServerOptions.DefaultDataDir() };

var server = new Command("server", "Run the Berth server (ECS API) with its embedded SQLite state.") { port, bind, dataDir };
server.SetAction(async (parse, cancellation) =>
{
    var options = new ServerOptions
    {
        Port = parse.GetValue(port),
        BindAddress = parse.GetValue(bind)!,
        DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
        AccountId = Environment.GetEnvironmentVariable("BERTH_ACCOUNT_ID") is { Length: > 0 } account ? account : ServerOptions.DefaultAccountId,
    };
    return await BerthServer.RunAsync(options, cancellation);
});

var root = new RootCommand("Berth: a self-hosted container platform that speaks the ECS API.") { server };
return await root.Parse(args).InvokeAsync();
