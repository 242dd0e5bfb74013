using System.IO.Pipelines;
using System.Text;
using Berth.Registry.Blobs;
using Berth.Registry.Collection;
using Berth.Registry.State;
using Berth.Registry.Uploads;

namespace Berth.Registry.Tests;

public sealed class StorageTests
{
    [Fact]
    public async Task A_chunked_upload_is_hashed_checked_and_moved_into_the_blob_store()
    {
        using var dir = new TempDir();
        var blobs = new BlobStore(dir.Path);
        var uploads = new UploadStore(blobs);
        var id = uploads.Start("app");
        await uploads.AppendAsync("app", id, "hello "u8.ToArray(), 0, CancellationToken.None);
        var outOfOrder = await Assert.ThrowsAsync<UploadException>(() => uploads.AppendAsync("app", id, "x"u8.ToArray(), 3, CancellationToken.None));
        Assert.Equal(UploadError.OutOfOrder, outOfOrder.Error);
        await uploads.AppendAsync("app", id, PipeReader.Create(new MemoryStream("world"u8.ToArray())), null, CancellationToken.None);
        Assert.Null(uploads.Offset("other", id));
        Assert.Equal(11, uploads.Offset("app", id));

        var wrong = await Assert.ThrowsAsync<UploadException>(() => uploads.FinishAsync("app", id, Digest.Of("nope"u8), CancellationToken.None));
        Assert.Equal(UploadError.DigestMismatch, wrong.Error);

        var digest = Digest.Of("hello world"u8);
        Assert.Equal(11, await uploads.FinishAsync("app", id, digest, CancellationToken.None));
        Assert.Equal("hello world", Encoding.UTF8.GetString(blobs.ReadAll(digest)!));
        Assert.Null(uploads.Offset("app", id));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "uploads")));
    }

    [Fact]
    public async Task An_upload_survives_a_restart_of_the_store()
    {
        using var dir = new TempDir();
        var id = new UploadStore(new BlobStore(dir.Path)).Start("app");
        var first = new UploadStore(new BlobStore(dir.Path));
        await first.AppendAsync("app", id, "abc"u8.ToArray(), null, CancellationToken.None);
        var second = new UploadStore(new BlobStore(dir.Path));
        Assert.Equal(3, second.Offset("app", id));
        await second.AppendAsync("app", id, "def"u8.ToArray(), 3, CancellationToken.None);
        Assert.Equal(6, await second.FinishAsync("app", id, Digest.Of("abcdef"u8), CancellationToken.None));
    }

    [Fact]
    public async Task An_upload_moves_between_two_servers_sharing_the_blob_directory()
    {
        using var dir = new TempDir();
        var blobs = new BlobStore(dir.Path);
        var a = new UploadStore(blobs);
        var b = new UploadStore(new BlobStore(dir.Path));
        var id = a.Start("app");
        await a.AppendAsync("app", id, "abc"u8.ToArray(), 0, CancellationToken.None);

        // B continues what A started; then A, whose own count is behind, catches up from the file.
        Assert.Equal(3, b.Offset("app", id));
        await b.AppendAsync("app", id, "def"u8.ToArray(), 3, CancellationToken.None);
        Assert.Equal(6, a.Offset("app", id));
        await a.AppendAsync("app", id, "ghi"u8.ToArray(), 6, CancellationToken.None);
        Assert.Equal(9, await b.FinishAsync("app", id, Digest.Of("abcdefghi"u8), CancellationToken.None));
        Assert.Equal("abcdefghi", Encoding.UTF8.GetString(blobs.ReadAll(Digest.Of("abcdefghi"u8))!));

        // Finished through B, the upload is unknown to A too.
        Assert.Null(a.Offset("app", id));
        Assert.Equal(UploadError.Unknown, (await Assert.ThrowsAsync<UploadException>(() => a.AppendAsync("app", id, "x"u8.ToArray(), null, CancellationToken.None))).Error);
        Assert.Equal(UploadError.Unknown, (await Assert.ThrowsAsync<UploadException>(() => a.FinishAsync("app", id, Digest.Of("abcdefghi"u8), CancellationToken.None))).Error);
        Assert.False(await a.CancelAsync("app", id));
    }

    [Fact]
    public async Task An_upload_idle_on_one_server_but_written_through_another_is_not_abandoned()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var a = new UploadStore(new BlobStore(dir.Path), time);
        var b = new UploadStore(new BlobStore(dir.Path));
        var id = a.Start("app");
        await a.AppendAsync("app", id, "abc"u8.ToArray(), null, CancellationToken.None);
        await b.AppendAsync("app", id, "def"u8.ToArray(), 3, CancellationToken.None);
        var file = Path.Combine(dir.Path, "uploads", id);

        // An hour and more since A last used it, five minutes since B wrote it: in use.
        time.Advance(TimeSpan.FromMinutes(70));
        File.SetLastWriteTimeUtc(file, time.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(5));
        Assert.Equal(0, a.RemoveAbandoned(TimeSpan.FromHours(1)));
        Assert.Equal(6, a.Offset("app", id));

        // Nobody wrote it for longer than the expiry either: abandoned.
        File.SetLastWriteTimeUtc(file, time.GetUtcNow().UtcDateTime - TimeSpan.FromMinutes(61));
        Assert.Equal(1, a.RemoveAbandoned(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(file));
        Assert.Null(b.Offset("app", id));
    }

    [Fact]
    public async Task A_step_that_waited_while_another_finished_or_cancelled_the_upload_finds_it_unknown()
    {
        using var dir = new TempDir();
        var uploads = new UploadStore(new BlobStore(dir.Path));
        foreach (var closeByFinishing in new[] { true, false })
        {
            var id = uploads.Start("app");

            // A PATCH streams "abc" and holds the upload; the closing step and then another PATCH queue behind it.
            var pipe = new Pipe();
            var streaming = uploads.AppendAsync("app", id, pipe.Reader, null, CancellationToken.None);
            await pipe.Writer.WriteAsync("abc"u8.ToArray());
            var closing = closeByFinishing
                ? (Task)uploads.FinishAsync("app", id, Digest.Of("abc"u8), CancellationToken.None)
                : uploads.CancelAsync("app", id);
            var late = uploads.AppendAsync("app", id, "d"u8.ToArray(), null, CancellationToken.None);
            var lateFinish = uploads.FinishAsync("app", id, Digest.Of("abc"u8), CancellationToken.None);
            await pipe.Writer.CompleteAsync();
            Assert.Equal(3, await streaming);
            await closing;
            Assert.Equal(UploadError.Unknown, (await Assert.ThrowsAsync<UploadException>(() => late)).Error);
            Assert.Equal(UploadError.Unknown, (await Assert.ThrowsAsync<UploadException>(() => lateFinish)).Error);
            Assert.False(await uploads.CancelAsync("app", id));
        }
    }

    [Fact]
    public async Task A_body_that_cannot_be_read_is_the_clients_fault_and_leaves_the_upload_as_it_was()
    {
        using var dir = new TempDir();
        var uploads = new UploadStore(new BlobStore(dir.Path));
        var id = uploads.Start("app");
        await uploads.AppendAsync("app", id, "abc"u8.ToArray(), null, CancellationToken.None);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync("def"u8.ToArray());
        await pipe.Writer.CompleteAsync(new IOException("Bad chunk size data."));
        var error = await Assert.ThrowsAsync<BodyReadException>(() => uploads.AppendAsync("app", id, pipe.Reader, null, CancellationToken.None));
        Assert.IsType<IOException>(error.InnerException);
        Assert.Equal(3, uploads.Offset("app", id));
        Assert.Equal(3, await uploads.FinishAsync("app", id, Digest.Of("abc"u8), CancellationToken.None));
    }

    [Fact]
    public async Task An_upload_nobody_uses_for_the_expiry_is_removed_and_one_in_use_is_not()
    {
        using var dir = new TempDir();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var uploads = new UploadStore(new BlobStore(dir.Path), time);
        var idle = uploads.Start("app");
        var used = uploads.Start("app");
        var held = uploads.Start("app");
        var pipe = new Pipe();
        var streaming = uploads.AppendAsync("app", held, pipe.Reader, null, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(50));
        await uploads.AppendAsync("app", used, "x"u8.ToArray(), null, CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Equal(1, uploads.RemoveAbandoned(TimeSpan.FromHours(1)));
        Assert.Null(uploads.Offset("app", idle));
        Assert.Equal(1, uploads.Offset("app", used));
        var gone = await Assert.ThrowsAsync<UploadException>(() => uploads.AppendAsync("app", idle, "x"u8.ToArray(), null, CancellationToken.None));
        Assert.Equal(UploadError.Unknown, gone.Error);

        // The streaming one is in use however long it streams.
        await pipe.Writer.CompleteAsync();
        await streaming;
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(dir.Path, "uploads")).Count());

        // A file left from before a restart goes by its age on disk.
        var orphan = Path.Combine(dir.Path, "uploads", Guid.NewGuid().ToString());
        File.WriteAllBytes(orphan, [1]);
        File.SetLastWriteTimeUtc(orphan, time.GetUtcNow().UtcDateTime.AddHours(-2));
        Assert.Equal(1, uploads.RemoveAbandoned(TimeSpan.FromHours(1)));
        Assert.False(File.Exists(orphan));
    }

    [Fact]
    public async Task A_repository_has_at_most_its_cap_of_uploads_in_flight()
    {
        using var dir = new TempDir();
        var uploads = new UploadStore(new BlobStore(dir.Path)) { MaxPerRepository = 2 };
        var first = uploads.Start("app");
        uploads.Start("app");
        Assert.Equal(UploadError.TooMany, Assert.Throws<UploadException>(() => uploads.Start("app")).Error);

        // Other repositories have their own count, and a closed upload frees its place.
        uploads.Start("other");
        Assert.True(await uploads.CancelAsync("app", first));
        uploads.Start("app");
        Assert.Equal(UploadError.TooMany, Assert.Throws<UploadException>(() => uploads.Start("app")).Error);
    }

    [Fact]
    public void Collection_keeps_referenced_protected_and_fresh_blobs_and_removes_orphans()
    {
        using var dir = new TempDir();
        var blobs = new BlobStore(dir.Path);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var kept = blobs.Put("kept"u8);
        var orphan = blobs.Put("orphan"u8);
        var fresh = blobs.Put("fresh, its manifest is still coming"u8);
        var held = blobs.Put("held by a push"u8);
        var state = Fixtures.State(Fixtures.Repository("app").With(Fixtures.Image("m", Fixtures.T0, kept)));
        var gc = new GarbageCollector(blobs, () => state, time);
        gc.Touch(orphan);
        time.Advance(TimeSpan.FromSeconds(1));
        var image = Fixtures.Image("gone", Fixtures.T0, orphan, kept, held);
        gc.Orphaned([image]);
        using (gc.Protect([held]))
        {
            Assert.Equal([orphan], gc.Collect());
        }

        Assert.True(blobs.Exists(kept));
        Assert.True(blobs.Exists(fresh));
        Assert.True(blobs.Exists(held));
    }

    [Fact]
    public void A_blob_used_again_after_its_delete_is_not_collected()
    {
        using var dir = new TempDir();
        var blobs = new BlobStore(dir.Path);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var layer = blobs.Put("layer"u8);
        var gc = new GarbageCollector(blobs, () => RegistryState.Empty, time);
        gc.Orphaned([Fixtures.Image("gone", Fixtures.T0, layer)]);
        time.Advance(TimeSpan.FromSeconds(1));
        gc.Touch(layer); // a client saw it exist and will reference it
        Assert.Empty(gc.Collect());
        Assert.True(blobs.Exists(layer));
    }

    [Fact]
    public void The_codec_round_trips_the_state()
    {
        var repository = Fixtures.Repository("team/app").With(Fixtures.Image("a", Fixtures.T0, Fixtures.DigestOf("l")), "v1") with { Tags = [new ResourceTag("k", "v")] };
        var loaded = RegistryCodec.Load([new Berth.Storage.Documents.StoredDocument(RegistryCodec.RepositoryKind, "team/app", RegistryCodec.Put(repository).Body!)]);
        var back = loaded.Repositories["team/app"];
        Assert.Equal(repository.Images.Keys, back.Images.Keys);
        Assert.Equal(repository.ImageTags, back.ImageTags);
        Assert.Equal(repository.Tags.ToArray(), back.Tags.ToArray());
        Assert.Equal(repository.Images.Values.Single().Blobs.ToArray(), back.Images.Values.Single().Blobs.ToArray());
    }
}
