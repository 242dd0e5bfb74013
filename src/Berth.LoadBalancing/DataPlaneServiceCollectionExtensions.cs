using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Berth.LoadBalancing;

/// <summary>Registers the data plane in a host.</summary>
public static class DataPlaneServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="LoadBalancerDataPlane"/> as a singleton and as a hosted service (stopped with the host), using
    /// the container's <see cref="TimeProvider"/> (the system clock unless one is registered) and logging.
    /// </summary>
    public static IServiceCollection AddLoadBalancerDataPlane(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LoadBalancerDataPlane(sp.GetRequiredService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<LoadBalancerDataPlane>());
        return services;
    }
}
