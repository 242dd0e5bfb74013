namespace Berth.Scheduling;

/// <summary>
/// CPU and memory left per position of a fixed sequence of instances, with the most of each kept over every
/// range: finding the first position at or after a point where a task could fit skips whole ranges of full
/// instances at once (O(log n) when the maxima do not mislead, which they can when one instance has the CPU and
/// another the memory). Only a filter: what it finds is checked in full by the caller.
/// </summary>
internal sealed class CapacityTree
{
    private readonly int _size;
    private readonly int[] _cpu;
    private readonly int[] _memory;

    public CapacityTree(int count)
    {
        _size = 1;
        while (_size < count)
        {
            _size *= 2;
        }

        _cpu = new int[2 * _size];
        _memory = new int[2 * _size];
        Array.Fill(_cpu, int.MinValue);
        Array.Fill(_memory, int.MinValue);
    }

    /// <summary>Sets what is left at <paramref name="position"/>.</summary>
    public void Set(int position, int cpu, int memory)
    {
        var node = _size + position;
        _cpu[node] = cpu;
        _memory[node] = memory;
        for (node /= 2; node >= 1; node /= 2)
        {
            _cpu[node] = Math.Max(_cpu[2 * node], _cpu[(2 * node) + 1]);
            _memory[node] = Math.Max(_memory[2 * node], _memory[(2 * node) + 1]);
        }
    }

    /// <summary>The first position at or after <paramref name="from"/> with at least this much left of both; -1 if none.</summary>
    public int FirstFit(int from, int cpu, int memory) => Find(1, 0, _size - 1, from, cpu, memory);

    private int Find(int node, int lo, int hi, int from, int cpu, int memory)
    {
        if (hi < from || _cpu[node] < cpu || _memory[node] < memory)
        {
            return -1;
        }

        if (lo == hi)
        {
            return lo;
        }

        var mid = lo + ((hi - lo) / 2);
        var left = Find(2 * node, lo, mid, from, cpu, memory);
        return left >= 0 ? left : Find((2 * node) + 1, mid + 1, hi, from, cpu, memory);
    }
}
