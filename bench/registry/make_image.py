#!/usr/bin/env python3
"""Writes an OCI image layout (FROM scratch) of random-data layers: make_image.py DIR TOTAL_MB LAYERS [TAG].

Layers are gzipped tars (level 1: random bytes do not shrink) so skopeo copies them as they are instead of
compressing them on the way, which would measure gzip rather than the registry. The image is never run.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(root, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + digest, len(data)


def main():
    root, total_mb, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    tag = sys.argv[4] if len(sys.argv) > 4 else "latest"
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    per_layer = total_mb * 1024 * 1024 // layers
    descriptors, diff_ids = [], []
    for i in range(layers):
        payload = os.urandom(per_layer)
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            info = tarfile.TarInfo(f"data/layer-{i}.bin")
            info.size = len(payload)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(payload))
        tar_bytes = out.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        digest, size = blob(root, gzip.compress(tar_bytes, compresslevel=1, mtime=0))
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }, separators=(",", ":")).encode()
    config_digest, config_size = blob(root, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": descriptors,
    }, separators=(",", ":")).encode()
    manifest_digest, manifest_size = blob(root, manifest)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    print(manifest_digest)


if __name__ == "__main__":
    main()
