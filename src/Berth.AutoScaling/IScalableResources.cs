namespace Berth.AutoScaling;

/// <summary>
/// The services Application Auto Scaling scales, as the ECS control plane knows them (the server implements it over
/// the ECS state, so this project does not reference ECS).
/// </summary>
public interface IScalableResources
{
    /// <summary>The desired count of the ACTIVE service a <c>service/CLUSTER/SERVICE</c> id names in <paramref name="region"/>, or null when there is none.</summary>
    int? DesiredCount(string region, string resourceId);
}
