using Berth.Scheduling.Capacity;
using CsCheck;

namespace Berth.Scheduling.Tests.Capacity;

/// <summary>ECS's base-and-weight split as tables (AWS's documented examples) and as properties.</summary>
public class ProviderStrategyTests
{
    private static readonly Dictionary<string, int> None = [];

    private static ProviderTerm T(string name, int weight, int @base = 0) => new(name, weight, @base);

    private static Dictionary<string, int> Count(IEnumerable<string> assigned)
        => assigned.GroupBy(a => a).ToDictionary(g => g.Key, g => g.Count());

    public static TheoryData<string, ProviderTerm[], int, string> Tables => new()
    {
        // AWS: "if you specify a weight of 1 for capacityProviderA and a weight of 4 for capacityProviderB, then for
        // every one task that's run using capacityProviderA, four tasks would use capacityProviderB".
        { "1:4 over five tasks", [T("A", 1), T("B", 4)], 5, "A=1 B=4" },
        { "1:4 over ten tasks", [T("A", 1), T("B", 4)], 10, "A=2 B=8" },
        { "equal weights split evenly", [T("A", 1), T("B", 1)], 6, "A=3 B=3" },
        { "base first, then weights", [T("FARGATE", 1, 2), T("FARGATE_SPOT", 1)], 6, "FARGATE=4 FARGATE_SPOT=2" },
        { "base only up to the count", [T("FARGATE", 1, 5), T("FARGATE_SPOT", 3)], 3, "FARGATE=3" },
        { "base on a zero-weight provider", [T("FARGATE", 0, 2), T("FARGATE_SPOT", 1)], 5, "FARGATE=2 FARGATE_SPOT=3" },
        { "zero weight gets none", [T("A", 0), T("B", 1)], 4, "B=4" },
        { "a single provider runs all, weight 0 or not", [T("A", 0)], 3, "A=3" },
        { "every weight zero places nothing", [T("A", 0), T("B", 0)], 3, "" },
        { "three providers 1:2:3", [T("A", 1), T("B", 2), T("C", 3)], 12, "A=2 B=4 C=6" },
    };

    [Theory]
    [MemberData(nameof(Tables))]
    public void Splits_as_ECS(string why, ProviderTerm[] strategy, int count, string expected)
    {
        var got = Count(ProviderStrategy.Assign(strategy, None, count));
        Assert.True(expected == Describe(strategy, got), why + ": " + Describe(strategy, got));
    }

    [Fact]
    public void Base_tasks_come_first()
    {
        Assert.Equal(["FARGATE", "FARGATE", "FARGATE_SPOT"], ProviderStrategy.Assign([T("FARGATE_SPOT", 1), T("FARGATE", 0, 2)], None, 3));
    }

    [Fact]
    public void Existing_tasks_count_towards_the_split()
    {
        // A service scaled from 5 (1 on A, 4 on B) to 10 with 1:4 puts 1 more on A and 4 more on B.
        var more = Count(ProviderStrategy.Assign([T("A", 1), T("B", 4)], new Dictionary<string, int> { ["A"] = 1, ["B"] = 4 }, 5));
        Assert.Equal(1, more["A"]);
        Assert.Equal(4, more["B"]);

        // Four already on B: the next goes to A.
        Assert.Equal(["A"], ProviderStrategy.Assign([T("A", 1), T("B", 4)], new Dictionary<string, int> { ["B"] = 4 }, 1));

        // The base already met by running tasks: only weights count.
        Assert.Equal(Count(["OD", "SPOT"]), Count(ProviderStrategy.Assign([T("OD", 1, 2), T("SPOT", 1)], new Dictionary<string, int> { ["OD"] = 2 }, 2)));
    }

    [Fact]
    public void Nothing_asked_nothing_given()
    {
        Assert.Empty(ProviderStrategy.Assign([T("A", 1)], None, 0));
        Assert.Empty(ProviderStrategy.Assign([], None, 4));
    }

    private static readonly Gen<ProviderTerm[]> GenStrategy =
        Gen.Int[1, 5].SelectMany(n => Gen.Int[0, 20].Array[n].SelectMany(weights => Gen.Int[0, n].SelectMany(withBase => Gen.Int[0, 12].Select(b =>
            weights.Select((w, i) => new ProviderTerm("P" + i, w, i == withBase ? b : 0)).ToArray()))));

    [Fact]
    public void Properties_hold()
    {
        Gen.Select(GenStrategy, Gen.Int[0, 200], Gen.Int[0, 6].Array[5]).Sample((strategy, count, before) =>
        {
            var existing = strategy.Select((t, i) => (t.Provider, before[i])).ToDictionary(p => p.Provider, p => p.Item2);
            var got = ProviderStrategy.Assign(strategy, existing, count);
            var placeable = strategy.Length == 1 || strategy.Any(t => t.Weight > 0);
            var baseTerm = strategy.FirstOrDefault(t => t.Base > 0);
            var baseRoom = baseTerm is null ? 0 : Math.Max(0, baseTerm.Base - existing[baseTerm.Provider]);

            // Every task placed when some provider can take it; otherwise exactly the base's room.
            Assert.Equal(placeable ? count : Math.Min(count, baseRoom), got.Count);

            // The base's room is filled first.
            Assert.All(got.Take(Math.Min(count, baseRoom)), p => Assert.Equal(baseTerm!.Provider, p));

            // Beyond the base, zero-weight providers get nothing (unless alone).
            if (strategy.Length > 1)
            {
                Assert.All(got.Skip(baseRoom), p => Assert.True(strategy.First(t => t.Provider == p).Weight > 0));
            }
        });
    }

    [Fact]
    public void From_nothing_each_weighted_share_is_within_one_task_of_its_weight()
    {
        Gen.Select(GenStrategy, Gen.Int[0, 300]).Sample((strategy, count) =>
        {
            if (strategy.Length < 2 || strategy.All(t => t.Weight == 0))
            {
                return;
            }

            var got = Count(ProviderStrategy.Assign(strategy, None, count));
            var beyond = strategy.ToDictionary(t => t.Provider, t => Math.Max(0, got.GetValueOrDefault(t.Provider) - t.Base));
            var total = beyond.Values.Sum();
            var weights = strategy.Sum(t => t.Weight);
            foreach (var term in strategy.Where(t => t.Weight > 0))
            {
                // |share − total × w / W| ≤ 1, in integers.
                Assert.True(Math.Abs((long)beyond[term.Provider] * weights - (long)total * term.Weight) <= weights, $"{term} got {beyond[term.Provider]} of {total}");
            }
        }, iter: 3000);
    }

    private static string Describe(ProviderTerm[] strategy, Dictionary<string, int> got)
        => string.Join(" ", strategy.Where(t => got.ContainsKey(t.Provider)).Select(t => $"{t.Provider}={got[t.Provider]}"));
}
