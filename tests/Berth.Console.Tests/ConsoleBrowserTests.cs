using System.Text.Json.Nodes;
using Berth.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Berth.WebConsole.Tests;

/// <summary>
/// One real server (through the launcher, as the end-to-end tests start it) with its local agent, a busybox image built
/// FROM scratch, and Debian's Chromium driven by Playwright.
/// </summary>
public sealed class ConsoleBrowserFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium: nothing can download a browser here.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly TempDir _dataDir = new("berth-e2e-console-");
    private IPlaywright? _playwright;

    /// <summary>The server.</summary>
    public BerthServer Server { get; private set; } = null!;

    /// <summary>The busybox image.</summary>
    public TestImage Image { get; private set; } = null!;

    /// <summary>The browser.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where each main page's screenshot is kept (a test artifact).</summary>
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var image = TestImage.BuildAsync("console-" + Guid.NewGuid().ToString("N")[..10]);
        // A 5 s metric period: utilization datapoints and the scaling controller's rounds come within the test's time.
        Server = await BerthServer.StartAsync(_dataDir.Path, extraArguments: ["--no-fargate"], environment: new Dictionary<string, string> { ["BERTH_METRIC_PERIOD_SECONDS"] = "5" });
        _playwright = await Playwright.CreateAsync();

        // A task starting on the shared machine can take longer than Playwright's 5 s default for expectations.
        Assertions.SetDefaultExpectTimeout(30_000);
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // Root in a container has no user namespaces for Chromium's sandbox.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Image = await image;
        Directory.CreateDirectory(Screenshots);
        await Poll.UntilAsync(
            async () => ((await Clients.AwsJsonAsync(Server, "ecs", "list-container-instances", "--cluster", "default"))?["containerInstanceArns"]?.AsArray().Count ?? 0) > 0,
            TimeSpan.FromSeconds(60),
            () => "the local agent registered no container instance");
    }

    /// <summary>A fresh browser context (its own cookies) with a page whose waits fail after 30 s.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.Endpoint });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs <paramref name="page"/> in through the form (with the server's root key) and lands on the clusters.</summary>
    public async Task SignInAsync(IPage page, string? next = null)
    {
        await page.GotoAsync(next ?? "/console/");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in"));
        await page.GetByLabel("Access key ID").FillAsync(Server.AccessKeyId);
        await page.GetByLabel("Secret access key").FillAsync(Server.SecretAccessKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    /// <summary>Keeps a screenshot of the page under <paramref name="name"/>.</summary>
    public Task ShotAsync(IPage page, string name) => page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        var instances = Server is null ? null : await Clients.AwsAsync(Server, "ecs", "list-container-instances", "--cluster", "default");
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        foreach (var arn in instances is { ExitCode: 0 } ? JsonNode.Parse(instances.Stdout)?["containerInstanceArns"]?.AsArray() ?? [] : [])
        {
            await DockerCli.RemoveContainersAsync("berth.container-instance", (string)arn!);
        }

        if (Image is not null)
        {
            await Image.DisposeAsync();
        }

        _dataDir.Dispose();
    }
}

/// <summary>The console in a real Chromium against a real server, state made through the AWS CLI.</summary>
public sealed class ConsoleBrowserTests(ConsoleBrowserFixture fixture) : IClassFixture<ConsoleBrowserFixture>
{
    private BerthServer Server => fixture.Server;

    [Fact]
    public async Task The_link_berth_console_prints_signs_a_browser_in_once()
    {
        var environment = Clients.Environment(Server);
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                environment[name] = null;
            }
        }

        var printed = await ProcessRunner.RunAsync(Repo.Launcher, ["console", "--endpoint", Server.Endpoint], environment, timeout: TimeSpan.FromMinutes(8));
        Assert.True(printed.ExitCode == 0, printed.ToString());
        var link = printed.Stdout.TrimEnd().Split('\n')[^1];
        Assert.StartsWith(Server.Endpoint + "/console/sign-in/link?token=", link, StringComparison.Ordinal);

        // The link lands on the console, signed in; the token is not in the address any more.
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(link);
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Clusters" })).ToBeVisibleAsync();
        Assert.True(Assert.Single(await page.Context.CookiesAsync()).HttpOnly);

        // A second browser with the same link is refused: it signs in once.
        var again = await fixture.NewPageAsync();
        var refused = await again.GotoAsync(link);
        Assert.Equal(401, refused!.Status);
        await Assertions.Expect(again.GetByRole(AriaRole.Alert)).ToContainTextAsync("not valid");
        Assert.Empty(await again.Context.CookiesAsync());
    }

    [Fact]
    public async Task Without_a_session_the_console_asks_to_sign_in_and_refuses_a_wrong_secret()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/console/clusters/default");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in\\?next="));
        await fixture.ShotAsync(page, "sign-in");

        // A wrong secret: refused with 401 and the form again; no cookie.
        await page.GetByLabel("Access key ID").FillAsync(Server.AccessKeyId);
        await page.GetByLabel("Secret access key").FillAsync(Server.SecretAccessKey + "x");
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            r => r.Url.EndsWith("/console/sign-in", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(401, refused.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not right");
        Assert.Empty(await page.Context.CookiesAsync());
        Assert.DoesNotContain(Server.SecretAccessKey, await page.ContentAsync(), StringComparison.Ordinal);

        // The right one lands where the browser was going, with an HttpOnly, SameSite=Strict session cookie.
        await page.GetByLabel("Secret access key").FillAsync(Server.SecretAccessKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/clusters/default$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cluster default" })).ToBeVisibleAsync();
        var cookie = Assert.Single(await page.Context.CookiesAsync());
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(Server.SecretAccessKey, cookie.Value, StringComparison.Ordinal);

        // A form post without the session's token, or from another origin, is refused; so is one without a session.
        var noToken = await page.Context.APIRequest.PostAsync("/console/sign-out", new() { Form = page.Context.APIRequest.CreateFormData().Set("_csrf", "forged") });
        Assert.Equal(403, noToken.Status);
        var otherOrigin = await page.Context.APIRequest.PostAsync("/console/sign-out", new() { Headers = new Dictionary<string, string> { ["Origin"] = "http://evil.example" } });
        Assert.Equal(403, otherOrigin.Status);
        var anonymous = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = Server.Endpoint });
        Assert.Equal(401, (await anonymous.APIRequest.PostAsync("/console/sign-out")).Status);
        await anonymous.CloseAsync();

        // Signing out ends the session.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in$"));
        await page.GotoAsync("/console/clusters");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sign-in"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_running_tasks_page_shows_its_container_and_log_lines_and_Stop_stops_it()
    {
        await RegisterAsync("console-logs", "trap 'exit 0' TERM; echo 'hello from <b>console</b> & friends'; while true; do sleep 1; done");
        var run = await Clients.AwsJsonAsync(Server, "ecs", "run-task", "--cluster", "default", "--task-definition", "console-logs");
        var taskArn = (string)run!["tasks"]![0]!["taskArn"]!;
        var taskId = taskArn[(taskArn.LastIndexOf('/') + 1)..];

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Clusters" })).ToBeVisibleAsync();
        await fixture.ShotAsync(page, "clusters");
        await page.GetByRole(AriaRole.Link, new() { Name = "default", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/clusters/default$"));

        // The cluster page follows the state: the task appears and turns RUNNING without a reload.
        await page.GetByRole(AriaRole.Link, new() { Name = taskId }).ClickAsync();
        await Assertions.Expect(page.Locator("#task-last-status")).ToHaveTextAsync("RUNNING");
        var containers = page.GetByRole(AriaRole.Table, new() { Name = "Containers" });
        await Assertions.Expect(containers).ToContainTextAsync("main");
        await Assertions.Expect(containers).ToContainTextAsync(fixture.Image.Name);

        // The log line arrives through the agent's awslogs shipping; its markup is text on the page.
        var log = page.Locator("pre.log-lines");
        await Assertions.Expect(log).ToContainTextAsync("hello from <b>console</b> & friends");
        Assert.Equal(0, await log.Locator("b").CountAsync());
        await fixture.ShotAsync(page, "task");

        // Stop goes through StopTask: the page follows the task to STOPPED.
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
        await Assertions.Expect(page.Locator("#task-desired-status")).ToHaveTextAsync("STOPPED");
        await Assertions.Expect(page.Locator("#task-last-status")).ToHaveTextAsync("STOPPED", new() { Timeout = 45_000 });
        await Assertions.Expect(page.Locator("#task-stopped-reason")).ToHaveTextAsync("Stopped from the Berth console");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Stop" })).ToHaveCountAsync(0);
        var described = await Clients.AwsJsonAsync(Server, "ecs", "describe-tasks", "--cluster", "default", "--tasks", taskArn);
        Assert.Equal("UserInitiated", (string?)described!["tasks"]![0]!["stopCode"]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_new_revision_registers_from_edited_JSON_and_bad_JSON_shows_the_APIs_error()
    {
        await RegisterAsync("console-edit", "echo '<script>window.__xss = 1</script>'", "<img src=x onerror=\"window.__xss = 2\">");
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, "/console/task-definitions/console-edit/1");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Task definition console-edit:1" })).ToBeVisibleAsync();

        // User values are text: the environment's and the command's markup shows, and runs nothing.
        var definitions = page.GetByRole(AriaRole.Table, new() { Name = "Container definitions" });
        await Assertions.Expect(definitions).ToContainTextAsync("<img src=x onerror=\"window.__xss = 2\">");
        await Assertions.Expect(definitions).ToContainTextAsync("<script>window.__xss = 1</script>");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        await fixture.ShotAsync(page, "task-definition");

        var editor = page.GetByLabel("Task definition JSON");
        var original = await editor.InputValueAsync();

        // Not JSON: the API's SerializationException, the page answers 400, and the text stays as typed.
        await editor.FillAsync("{\"family\": \"console-edit\", ");
        var bad = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Register new revision" }).ClickAsync(),
            r => r.Url.EndsWith("/register", StringComparison.Ordinal));
        Assert.Equal(400, bad.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("SerializationException");
        await Assertions.Expect(editor).ToHaveValueAsync("{\"family\": \"console-edit\", ");

        // JSON the API's validation refuses: its own message.
        await editor.FillAsync("{\"family\": \"console-edit\", \"containerDefinitions\": []}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register new revision" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("ClientException");

        // Edited JSON registers revision 2, which the AWS CLI sees.
        await editor.FillAsync(original.Replace("\"memory\": 64", "\"memory\": 96", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Register new revision" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/task-definitions/console-edit/2$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Task definition console-edit:2" })).ToBeVisibleAsync();
        var described = await Clients.AwsJsonAsync(Server, "ecs", "describe-task-definition", "--task-definition", "console-edit:2");
        Assert.Equal(96, (int)described!["taskDefinition"]!["containerDefinitions"]![0]!["memory"]!);

        // Deregistering goes through DeregisterTaskDefinition.
        await page.GetByRole(AriaRole.Button, new() { Name = "Deregister" }).ClickAsync();
        await Assertions.Expect(page.Locator("#definition-status")).ToHaveTextAsync("INACTIVE");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Deregister" })).ToHaveCountAsync(0);
        described = await Clients.AwsJsonAsync(Server, "ecs", "describe-task-definition", "--task-definition", "console-edit:2");
        Assert.Equal("INACTIVE", (string?)described!["taskDefinition"]!["status"]);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_services_page_follows_its_running_count_live_while_the_desired_count_set_there_scales_it()
    {
        await RegisterAsync("console-svc", "trap 'exit 0' TERM; while true; do sleep 1; done");
        await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", "default", "--service-name", "console-web", "--task-definition", "console-svc", "--desired-count", "1");
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, "/console/clusters/default/services/console-web");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Service console-web" })).ToBeVisibleAsync();

        // No reload: the running count changes on the page as the scheduler starts the task.
        await Assertions.Expect(page.Locator("#service-running")).ToHaveTextAsync("1");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Deployments" })).ToContainTextAsync("PRIMARY");

        // The desired count set on the page goes through UpdateService; the page follows to two running tasks.
        await page.GetByLabel("Desired tasks").FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Update desired count" }).ClickAsync();
        await Assertions.Expect(page.Locator("#service-desired")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#service-running")).ToHaveTextAsync("2");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Tasks" }).Locator("tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("ul.events")).ToContainTextAsync("has reached a steady state");
        await fixture.ShotAsync(page, "service");
        var described = await Clients.AwsJsonAsync(Server, "ecs", "describe-services", "--cluster", "default", "--services", "console-web");
        Assert.Equal(2, (int)described!["services"]![0]!["desiredCount"]!);

        await page.GetByRole(AriaRole.Link, new() { Name = "default" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Services" })).ToContainTextAsync("console-web");
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Container instances" })).ToContainTextAsync("ACTIVE");
        await fixture.ShotAsync(page, "cluster");

        // The lists filter through the address: the service's name finds it (the address keeps the filter, so a live
        // refetch keeps it too); the tasks filtered by its group are its two; a name that matches nothing says so.
        await page.GetByLabel("Filter services").FillAsync("CONSOLE-W");
        await page.GetByLabel("Filter services").PressAsync("Enter");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("services=CONSOLE-W"));
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Services" }).Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByLabel("Filter tasks").FillAsync("service:console-web");
        await page.GetByLabel("Desired status").SelectOptionAsync("RUNNING");
        await page.GetByRole(AriaRole.Search, new() { Name = "Search tasks" }).GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("status=RUNNING"));
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Tasks" }).Locator("tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Services" }).Locator("tbody tr")).ToHaveCountAsync(1);
        await page.GetByLabel("Filter services").FillAsync("no-such-service");
        await page.GetByLabel("Filter services").PressAsync("Enter");
        await Assertions.Expect(page.GetByText("No services match.")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Unknown_names_and_bad_addresses_are_404_and_400_pages_and_repositories_show_their_push_commands()
    {
        await Clients.AwsJsonAsync(Server, "ecr", "create-repository", "--repository-name", "console/app");
        var password = (await Clients.AwsAsync(Server, "ecr", "get-login-password")).Stdout.Trim();
        var pushed = await ProcessRunner.RunAsync("skopeo", ["copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + password, "docker-daemon:" + fixture.Image.Name, $"docker://127.0.0.1:{Server.Port}/console/app:v1"], new Dictionary<string, string?>(), timeout: TimeSpan.FromMinutes(2));
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var digest = (string)(await Clients.AwsJsonAsync(Server, "ecr", "describe-images", "--repository-name", "console/app"))!["imageDetails"]![0]!["imageDigest"]!;

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, "/console/repositories");
        await page.GetByRole(AriaRole.Link, new() { Name = "console/app" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/repositories/console%2Fapp$"));
        await Assertions.Expect(page.Locator("pre.commands")).ToContainTextAsync($"docker push 127.0.0.1:{Server.Port}/console/app:TAG");
        await Assertions.Expect(page.Locator("pre.commands")).ToContainTextAsync($"docker login --username AWS --password-stdin 127.0.0.1:{Server.Port}");
        var images = page.GetByRole(AriaRole.Table, new() { Name = "Images" });
        await Assertions.Expect(images).ToContainTextAsync("v1");
        await Assertions.Expect(images).ToContainTextAsync(digest);
        await Assertions.Expect(images).ToContainTextAsync(new System.Text.RegularExpressions.Regex("[0-9.]+ [KM]iB"));
        await fixture.ShotAsync(page, "repository");

        // Delete goes through ECR's BatchDeleteImage.
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete image v1" }).ClickAsync();
        await Assertions.Expect(page.GetByText("No images yet.")).ToBeVisibleAsync();
        Assert.Empty((await Clients.AwsJsonAsync(Server, "ecr", "list-images", "--repository-name", "console/app"))!["imageIds"]!.AsArray());

        foreach (var path in new[]
        {
            "/console/clusters/nope", "/console/clusters/default/tasks/0123456789abcdef0123456789abcdef", "/console/clusters/default/services/nope",
            "/console/task-definitions/nope", "/console/task-definitions/console-logs/999", "/console/task-definitions/console-logs/abc",
            "/console/repositories/nope", "/console/no-such-page",
        })
        {
            var response = await page.GotoAsync(path);
            Assert.True(response!.Status == 404, $"{path}: {response.Status}");
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        }

        // A name no cluster could have is the API's own refusal.
        var bad = await page.GotoAsync("/console/clusters/not%20a%20name");
        Assert.Equal(400, bad!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("InvalidParameterException");
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Rules_schedules_and_a_services_scaling_show_what_the_CLI_made()
    {
        await RegisterAsync("console-sched", "trap 'exit 0' TERM; while true; do sleep 1; done");
        var definitionArn = (string)(await Clients.AwsJsonAsync(Server, "ecs", "describe-task-definition", "--task-definition", "console-sched"))!["taskDefinition"]!["taskDefinitionArn"]!;
        var clusterArn = (string)(await Clients.AwsJsonAsync(Server, "ecs", "describe-clusters", "--clusters", "default"))!["clusters"]![0]!["clusterArn"]!;
        var account = clusterArn.Split(':')[4];
        var ecsTarget = new JsonObject
        {
            ["Arn"] = clusterArn,
            ["RoleArn"] = $"arn:aws:iam::{account}:role/ecsEventsRole",
            ["EcsParameters"] = new JsonObject { ["TaskDefinitionArn"] = definitionArn, ["TaskCount"] = 1, ["LaunchType"] = "EC2" },
        };
        await Clients.AwsJsonAsync(Server, "events", "put-rule", "--name", "console-nightly", "--schedule-expression", "cron(0 3 * * ? *)", "--description", "<script>window.__xss = 3</script>");
        var ruleTarget = ecsTarget.DeepClone().AsObject();
        ruleTarget["Id"] = "run-job";
        await Clients.AwsJsonAsync(Server, "events", "put-targets", "--rule", "console-nightly", "--targets", new JsonArray(ruleTarget).ToJsonString());
        await Clients.AwsJsonAsync(Server, "scheduler", "create-schedule", "--name", "console-morning", "--schedule-expression", "cron(30 4 * * ? *)", "--schedule-expression-timezone", "Europe/Paris",
            "--flexible-time-window", "{\"Mode\": \"OFF\"}", "--target", ecsTarget.ToJsonString());

        // Desired 0 under a minimum of 1: the controller's first round brings it to 1, an activity.
        await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", "default", "--service-name", "console-scaled", "--task-definition", "console-sched", "--desired-count", "0");
        await Clients.AwsJsonAsync(Server, "application-autoscaling", "register-scalable-target", "--service-namespace", "ecs", "--resource-id", "service/default/console-scaled",
            "--scalable-dimension", "ecs:service:DesiredCount", "--min-capacity", "1", "--max-capacity", "3");
        await Clients.AwsJsonAsync(Server, "application-autoscaling", "put-scaling-policy", "--service-namespace", "ecs", "--resource-id", "service/default/console-scaled",
            "--scalable-dimension", "ecs:service:DesiredCount", "--policy-name", "console-cpu", "--policy-type", "TargetTrackingScaling",
            "--target-tracking-scaling-policy-configuration", "{\"TargetValue\": 50, \"PredefinedMetricSpecification\": {\"PredefinedMetricType\": \"ECSServiceAverageCPUUtilization\"}, \"ScaleOutCooldown\": 30}");

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, "/console/rules");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Rules" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Rules" })).ToContainTextAsync("cron(0 3 * * ? *)");
        await fixture.ShotAsync(page, "rules");

        // The rule: its description is text, its ECS target names the task definition.
        await page.GetByRole(AriaRole.Link, new() { Name = "console-nightly" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/rules/console-nightly$"));
        await Assertions.Expect(page.Locator("#rule-description")).ToHaveTextAsync("<script>window.__xss = 3</script>");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        var targets = page.GetByRole(AriaRole.Table, new() { Name = "Targets" });
        await Assertions.Expect(targets).ToContainTextAsync("run-job");
        await Assertions.Expect(targets).ToContainTextAsync(definitionArn);
        await Assertions.Expect(page.Locator("#rule-invoked")).ToHaveTextAsync("0");
        await fixture.ShotAsync(page, "rule");

        // The schedule, through the main navigation: its zone and next firing.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Schedules" }).ClickAsync();
        await page.GetByRole(AriaRole.Table, new() { Name = "Schedules" }).GetByRole(AriaRole.Link, new() { Name = "console-morning" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/schedules/default/console-morning$"));
        await Assertions.Expect(page.Locator("#schedule-timezone")).ToHaveTextAsync("Europe/Paris");
        await Assertions.Expect(page.Locator("#schedule-next")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(":30:00 UTC$"));
        await fixture.ShotAsync(page, "schedule");

        // The service: its target-tracking policy, the controller's activity (the page follows the scaling state live)
        // and the utilization chart, which draws once the running task's first samples are in.
        await page.GotoAsync("/console/clusters/default/services/console-scaled");
        var policies = page.GetByRole(AriaRole.Table, new() { Name = "Scaling policies" });
        await Assertions.Expect(policies).ToContainTextAsync("console-cpu");
        await Assertions.Expect(policies).ToContainTextAsync("Target 50 of ECSServiceAverageCPUUtilization");
        await Assertions.Expect(page.Locator("#scaling-max")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#service-utilization")).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Scaling activities" })).ToContainTextAsync("Setting desired count to 1.");
        await Poll.UntilAsync(
            async () =>
            {
                await page.ReloadAsync();
                return await page.Locator("#service-utilization svg[role=img]").CountAsync() == 1;
            },
            TimeSpan.FromSeconds(40),
            () => "no utilization chart was drawn");
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { NameRegex = new System.Text.RegularExpressions.Regex("^CPU and memory utilization of service console-scaled") })).ToBeVisibleAsync();
        await fixture.ShotAsync(page, "service-scaling");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_load_balancers_page_links_to_its_target_groups_whose_targets_show_their_health_live_as_does_its_services_page()
    {
        // A target nothing listens on: the data plane's checks (every 5 s, 2 failures) turn it unhealthy.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var group = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-target-group", "--name", "console-tg", "--protocol", "HTTP", "--port", "8080", "--vpc-id", "vpc-1",
            "--target-type", "ip", "--health-check-path", "/health", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
            "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2", "--tags", "Key=owner,Value=<b>team</b>"))!["TargetGroups"]![0]!["TargetGroupArn"]!;
        var lb = (await Clients.AwsJsonAsync(Server, "elbv2", "create-load-balancer", "--name", "console-lb", "--subnets", "subnet-a", "subnet-b"))!["LoadBalancers"]![0]!;
        var listener = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-listener", "--load-balancer-arn", (string)lb["LoadBalancerArn"]!, "--protocol", "HTTP", "--port", "18093",
            "--default-actions", $"Type=forward,TargetGroupArn={group}"))!["Listeners"]![0]!["ListenerArn"]!;
        await Clients.AwsJsonAsync(Server, "elbv2", "register-targets", "--target-group-arn", group, "--targets", $"Id=127.0.0.1,Port={port}");

        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, "/console/load-balancers");
        await page.GetByRole(AriaRole.Link, new() { Name = "console-lb", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/load-balancers/console-lb$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Load balancer console-lb" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#lb-dns-name")).ToHaveTextAsync((string)lb["DNSName"]!);
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Rules of listener HTTP:18093" })).ToContainTextAsync("forward to console-tg");
        await fixture.ShotAsync(page, "load-balancer");

        // The target group's page: its target as DescribeTargetHealth reports it, followed live to unhealthy.
        await page.GetByRole(AriaRole.Table, new() { Name = "Rules of listener HTTP:18093" }).GetByRole(AriaRole.Link, new() { Name = "console-tg" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/target-groups/console-tg$"));
        var targets = page.GetByRole(AriaRole.Table, new() { Name = "Targets" });
        await Assertions.Expect(targets).ToContainTextAsync("127.0.0.1");
        await Assertions.Expect(targets.Locator("tbody tr td").Nth(3)).ToHaveTextAsync("unhealthy", new() { Timeout = 45_000 });
        await Assertions.Expect(page.Locator("#target-counts")).ToHaveTextAsync("1 unhealthy");
        var health = (await Clients.AwsJsonAsync(Server, "elbv2", "describe-target-health", "--target-group-arn", group))!["TargetHealthDescriptions"]![0]!["TargetHealth"]!;
        Assert.Equal("unhealthy", (string?)health["State"]);
        await Assertions.Expect(targets.Locator("tbody tr td").Nth(4)).ToHaveTextAsync((string)health["Reason"]!);
        await Assertions.Expect(page.GetByRole(AriaRole.Table, new() { Name = "Tags" })).ToContainTextAsync("<b>team</b>");
        Assert.Equal(0, await page.GetByRole(AriaRole.Table, new() { Name = "Tags" }).Locator("b").CountAsync());
        await fixture.ShotAsync(page, "target-group");

        // Unknown names are 404; a name ELB would refuse is its ValidationError.
        Assert.Equal(404, (await page.GotoAsync("/console/load-balancers/nope"))!.Status);
        Assert.Equal(404, (await page.GotoAsync("/console/target-groups/nope"))!.Status);
        Assert.Equal(400, (await page.GotoAsync("/console/target-groups/not%20a%20name"))!.Status);
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("ValidationError");

        // A service behind a rule of the listener (bridge: the instance and its host port): its page links the target
        // group and counts its task's target healthy once the checks pass.
        var web = (string)(await Clients.AwsJsonAsync(Server, "elbv2", "create-target-group", "--name", "console-svc", "--protocol", "HTTP", "--port", "8080", "--vpc-id", "vpc-1",
            "--target-type", "instance", "--health-check-path", "/health", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
            "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2"))!["TargetGroups"]![0]!["TargetGroupArn"]!;
        await Clients.AwsJsonAsync(Server, "elbv2", "create-rule", "--listener-arn", listener, "--priority", "10", "--conditions", "Field=path-pattern,Values=/svc*",
            "--actions", $"Type=forward,TargetGroupArn={web}");
        var containers = new JsonArray(new JsonObject
        {
            ["name"] = "main",
            ["image"] = fixture.Image.Name,
            ["memory"] = 64,
            ["essential"] = true,
            ["stopTimeout"] = 2,
            ["portMappings"] = new JsonArray(new JsonObject { ["containerPort"] = 8080, ["hostPort"] = 0, ["protocol"] = "tcp" }),
            ["command"] = new JsonArray("sh", "-c", "mkdir -p /www && echo ok > /www/health && exec httpd -f -p 8080 -h /www"),
        });
        await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--family", "console-lb-web", "--container-definitions", containers.ToJsonString());
        await Clients.AwsJsonAsync(Server, "ecs", "create-service", "--cluster", "default", "--service-name", "console-lb-web", "--task-definition", "console-lb-web",
            "--desired-count", "1", "--load-balancers", $"targetGroupArn={web},containerName=main,containerPort=8080");
        await page.GotoAsync("/console/clusters/default/services/console-lb-web");
        var balancers = page.GetByRole(AriaRole.Table, new() { Name = "Load balancers" });
        await Assertions.Expect(balancers.Locator("td.target-health")).ToHaveTextAsync("1 healthy", new() { Timeout = 45_000 });
        await fixture.ShotAsync(page, "service-load-balancer");
        await balancers.GetByRole(AriaRole.Link, new() { Name = "console-svc" }).ClickAsync();
        await Assertions.Expect(page.Locator("#target-counts")).ToHaveTextAsync("1 healthy");
        Assert.Equal("healthy", (string?)(await Clients.AwsJsonAsync(Server, "elbv2", "describe-target-health", "--target-group-arn", web))!["TargetHealthDescriptions"]![0]!["TargetHealth"]!["State"]);
        await page.Context.CloseAsync();
    }

    private async Task RegisterAsync(string family, string script, string environmentValue = "plain")
    {
        var definition = new JsonObject
        {
            ["family"] = family,
            ["containerDefinitions"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = fixture.Image.Name,
                ["memory"] = 64,
                ["essential"] = true,
                ["stopTimeout"] = 2,
                ["command"] = new JsonArray("sh", "-c", script),
                ["environment"] = new JsonArray(new JsonObject { ["name"] = "GREETING", ["value"] = environmentValue }),
                ["logConfiguration"] = new JsonObject
                {
                    ["logDriver"] = "awslogs",
                    ["options"] = new JsonObject
                    {
                        ["awslogs-group"] = "/e2e/console",
                        ["awslogs-region"] = Clients.Region,
                        ["awslogs-stream-prefix"] = "app",
                        ["awslogs-create-group"] = "true",
                    },
                },
            }),
        };
        await Clients.AwsJsonAsync(Server, "ecs", "register-task-definition", "--cli-input-json", definition.ToJsonString());
    }
}
