using System.Text;

namespace Berth.Ec2AutoScaling.LaunchConfigurations;

/// <summary>
/// What Berth reads from an instance's user data: the ECS cluster it joins, the way the ECS agent reads
/// <c>ECS_CLUSTER=NAME</c> from <c>/etc/ecs/ecs.config</c> (usually written by <c>echo ECS_CLUSTER=NAME &gt;&gt; /etc/ecs/ecs.config</c>).
/// </summary>
public static class UserData
{
    /// <summary>The cluster when the user data names none, as for the ECS agent.</summary>
    public const string DefaultCluster = "default";

    /// <summary>Most bytes of user data (base64-decoded), as EC2 allows.</summary>
    public const int MaxBytes = 16384;

    /// <summary>The cluster named by base64 <paramref name="userData"/>; the last <c>ECS_CLUSTER=</c> wins, as in a config file.</summary>
    /// <exception cref="FormatException">The user data is not base64.</exception>
    public static string Cluster(string? userData)
    {
        if (string.IsNullOrEmpty(userData))
        {
            return DefaultCluster;
        }

        var text = Encoding.UTF8.GetString(Convert.FromBase64String(userData));
        string? cluster = null;
        const string Marker = "ECS_CLUSTER=";
        var at = 0;
        while ((at = text.IndexOf(Marker, at, StringComparison.Ordinal)) >= 0)
        {
            at += Marker.Length;
            var end = at;
            while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] is not ('"' or '\'' or ';' or '>'))
            {
                end++;
            }

            if (end > at)
            {
                cluster = text[at..end];
            }
        }

        return cluster ?? DefaultCluster;
    }
}
