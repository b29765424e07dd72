"""The one-screen summary printed at the end of `inv release`."""


def release_summary(settings, results):
    """Return the summary text: phase times, then one row per image."""
    by_phase = {result.phase: result for result in results}
    lines = ["", "Release summary"]
    total = sum(result.seconds for result in results)
    for result in results:
        lines.append(f"  {result.phase:<10} {result.seconds:6.1f} s")
    lines.append(f"  {'total':<10} {total:6.1f} s")

    written = by_phase.get("manifest")
    if written:
        data = written.data["manifest"]
        lines += ["", f"Release {data['release_id']}  commit {data['short_sha']}  "
                  f"branch {data['branch']}", ""]
        width = max(len(name) for name in data["images"])
        for name, image in data["images"].items():
            size = image["size_bytes"] / 1024 / 1024
            lines.append(
                f"  {name:<{width}}  {image['digest'][:19]}…  {size:6.1f} MiB  "
                f"{image['repository']}"
            )
        lines += ["", f"Manifest: {written.detail}"]
    return "\n".join(lines)
