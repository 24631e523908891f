"""`python -m training publish --from DIR --to URI [--keep N]`."""

from __future__ import annotations

import argparse

from screen_genius.manifest import ManifestError
from screen_genius.store import StoreUnavailable
from training.errors import CommandError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="src", required=True, metavar="DIR", help="exported artifact set (holds manifest.json)"
    )
    parser.add_argument(
        "--to",
        dest="uri",
        required=True,
        metavar="URI",
        help="gs://BUCKET/PREFIX (honours STORAGE_EMULATOR_HOST) or a local directory",
    )
    parser.add_argument("--keep", type=int, default=5, metavar="N", help="published versions to keep (default 5)")


def main(args: argparse.Namespace) -> int:
    from training.publish import PublishError, publish

    try:
        version = publish(args.src, args.uri, keep=args.keep)
    except (PublishError, ManifestError) as e:
        raise CommandError(str(e)) from None
    except StoreUnavailable as e:
        raise CommandError(f"{e}; nothing was switched, run the same command again") from None
    except ValueError as e:  # a URI that is neither gs:// nor a directory
        raise CommandError(str(e)) from None
    print(f"published version {version} to {args.uri} (latest.json now names it; keeping {args.keep} versions)")
    return 0
