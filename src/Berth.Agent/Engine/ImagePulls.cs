using Berth.Docker;
using Berth.Ecs.Model.Agent;

namespace Berth.Agent.Engine;

/// <summary>When the agent pulls a container's image.</summary>
public enum PullPolicy
{
    /// <summary>Use the engine's copy when it has one; pull only when it does not.</summary>
    IfMissing,

    /// <summary>Pull every time, as ECS's agent does by default, and use the engine's copy only when the pull fails.</summary>
    Always,
}

/// <summary>How the agent gets a container's image: a pure function of the image name and the task's registry credentials.</summary>
public static class ImagePulls
{
    /// <summary>
    /// Images of a registry the server handed the task a credential for (Berth's own) are pulled every time, so a tag
    /// pushed again runs its new image, as on ECS; a failed pull falls back to the cached image, as ECS's default
    /// pull behaviour does. Any other image is used from the engine's cache when there, so the agent never reaches
    /// past the machine for an image it already has.
    /// </summary>
    public static (PullPolicy Policy, RegistryAuth? Auth) For(string image, IReadOnlyList<AgentRegistryCredential> credentials)
        => credentials.FirstOrDefault(c => c.Registry is { Length: > 0 } r && image.StartsWith(r + "/", StringComparison.Ordinal)) is { } c
            ? (PullPolicy.Always, new RegistryAuth(c.Username ?? string.Empty, c.Password ?? string.Empty, c.Registry))
            : (PullPolicy.IfMissing, null);
}
