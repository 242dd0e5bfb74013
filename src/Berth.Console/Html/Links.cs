namespace Berth.WebConsole.Html;

/// <summary>The console's stable deep links; every name goes in as one escaped path segment.</summary>
public static class Links
{
    /// <summary>Where the console lives on the server.</summary>
    public const string Root = "/console/";

    /// <summary>The sign-in page.</summary>
    public const string SignIn = "/console/sign-in";

    /// <summary>The sign-out action.</summary>
    public const string SignOut = "/console/sign-out";

    /// <summary>The clusters list.</summary>
    public const string Clusters = "/console/clusters";

    /// <summary>The task definition families.</summary>
    public const string TaskDefinitions = "/console/task-definitions";

    /// <summary>The repositories.</summary>
    public const string Repositories = "/console/repositories";

    /// <summary>The load balancers.</summary>
    public const string LoadBalancers = "/console/load-balancers";

    /// <summary>The target groups.</summary>
    public const string TargetGroups = "/console/target-groups";

    /// <summary>The change stream the pages listen to.</summary>
    public const string Live = "/console/live";

    /// <summary>A cluster.</summary>
    public static string Cluster(string name) => $"{Clusters}/{Segment(name)}";

    /// <summary>A service of a cluster.</summary>
    public static string Service(string cluster, string service) => $"{Cluster(cluster)}/services/{Segment(service)}";

    /// <summary>A service's update action (desired count, force a new deployment).</summary>
    public static string UpdateService(string cluster, string service) => Service(cluster, service) + "/update";

    /// <summary>A task of a cluster, by its ID.</summary>
    public static string Task(string cluster, string taskId) => $"{Cluster(cluster)}/tasks/{Segment(taskId)}";

    /// <summary>A task's stop action.</summary>
    public static string StopTask(string cluster, string taskId) => Task(cluster, taskId) + "/stop";

    /// <summary>A family's revisions.</summary>
    public static string Family(string family) => $"{TaskDefinitions}/{Segment(family)}";

    /// <summary>One revision.</summary>
    public static string Revision(string family, int revision) => $"{Family(family)}/{revision}";

    /// <summary>The "register a new revision" action of a revision's page.</summary>
    public static string RegisterRevision(string family, int revision) => Revision(family, revision) + "/register";

    /// <summary>A task definition ARN's page (<c>...:task-definition/FAMILY:REV</c>), or null when it is not one.</summary>
    public static string? TaskDefinitionArn(string? arn)
    {
        var slash = arn?.LastIndexOf('/') ?? -1;
        var colon = arn?.LastIndexOf(':') ?? -1;
        return arn is not null && slash > 0 && colon > slash && int.TryParse(arn.AsSpan(colon + 1), out var revision)
            ? Revision(arn[(slash + 1)..colon], revision)
            : null;
    }

    /// <summary>The "deregister" action of a revision's page.</summary>
    public static string DeregisterRevision(string family, int revision) => Revision(family, revision) + "/deregister";

    /// <summary>A repository (its name may hold slashes: one segment, escaped).</summary>
    public static string Repository(string name) => $"{Repositories}/{Segment(name)}";

    /// <summary>The delete action of one image of a repository, by digest.</summary>
    public static string DeleteImage(string repository, string digest) => $"{Repository(repository)}/images/{Segment(digest)}/delete";

    /// <summary>EventBridge rules, of every bus.</summary>
    public const string Rules = "/console/rules";

    /// <summary>EventBridge Scheduler schedules, of every group.</summary>
    public const string Schedules = "/console/schedules";

    /// <summary>A rule: <c>/console/rules/NAME</c> on the default bus, <c>/console/buses/BUS/rules/NAME</c> on another.</summary>
    public static string Rule(string bus, string name) => bus == "default" ? $"{Rules}/{Segment(name)}" : $"/console/buses/{Segment(bus)}/rules/{Segment(name)}";

    /// <summary>A schedule of a group.</summary>
    public static string Schedule(string group, string name) => $"{Schedules}/{Segment(group)}/{Segment(name)}";

    /// <summary>A load balancer, by name.</summary>
    public static string LoadBalancer(string name) => $"{LoadBalancers}/{Segment(name)}";

    /// <summary>A target group, by name.</summary>
    public static string TargetGroup(string name) => $"{TargetGroups}/{Segment(name)}";

    /// <summary>One path segment, escaped.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
