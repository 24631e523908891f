"""The Vertex AI CustomJobSpec that runs `python -m training run` in the training image.

    python3 deploy/vertex/job_spec.py --image IMAGE --machine-type n1-highmem-16 \
        [--accelerator-type NVIDIA_TESLA_T4 --accelerator-count 1] \
        --dataset netflix:/gcs/BUCKET/netflix-prize --to gs://BUCKET/screen-genius [--run-args "--no-toys"] \
        --service-account EMAIL > vertex-job.json

prints the spec as JSON (which `gcloud ai custom-jobs create --config` reads,
YAML being a superset of JSON). Arguments reach the container as a list, so a
dataset spec with commas (synthetic:480189,17770,100000000) stays one
argument. The run works in the container's local disk (--work) and publishes
straight to the gs:// target; Vertex mounts buckets under /gcs/BUCKET, which
is how netflix:PATH reaches files in a bucket. Bad values stop here with a
message, before an image is built or a machine is paid for.

Standard library only: Cloud Build runs it in a plain Python image.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys

WORK_DIR = "/tmp/screen-genius"  # the container's local disk: atomic renames work there (not on /gcs FUSE)
BOOT_DISK_GB = 200  # the Netflix files (2.6 GB), their store, models and the image, with room
# Vertex pairs each GPU family with one machine family; checked here so a bad pair fails before the build.
ACCELERATOR_MACHINES = {
    "NVIDIA_TESLA_T4": "n1-",
    "NVIDIA_TESLA_V100": "n1-",
    "NVIDIA_TESLA_P100": "n1-",
    "NVIDIA_TESLA_P4": "n1-",
    "NVIDIA_TESLA_A100": "a2-",
    "NVIDIA_A100_80GB": "a2-",
    "NVIDIA_L4": "g2-",
    "NVIDIA_H100_80GB": "a3-",
}
MACHINE_TYPE = re.compile(r"^[a-z][a-z0-9]*-[a-z0-9-]+$")


class SpecError(ValueError):
    """A value the job cannot run with; the message says which and what to pass instead."""


def job_spec(
    image: str,
    machine_type: str,
    dataset: str,
    to: str,
    accelerator_type: str = "",
    accelerator_count: int = 0,
    run_args: str = "",
    service_account: str = "",
) -> dict:
    """The CustomJobSpec: one replica of the training image running `run --dataset DATASET --to TO`."""
    if not image:
        raise SpecError("no image: pass the training image built from deploy/vertex/Dockerfile")
    if not MACHINE_TYPE.match(machine_type):
        raise SpecError(f"_MACHINE_TYPE '{machine_type}' is not a machine type like n1-highmem-16")
    if not dataset:
        raise SpecError(
            "_DATASET is empty: pass a source as for `run --dataset`, e.g. netflix:/gcs/BUCKET/netflix-prize"
        )
    if not to.startswith("gs://") or len(to) <= len("gs://") or to.startswith("gs:///"):
        raise SpecError(f"the publish target '{to}' is not gs://BUCKET/PREFIX; set _BUCKET (and _PREFIX)")
    if not service_account:
        raise SpecError(
            "_SERVICE_ACCOUNT is empty: without one the job runs as Vertex AI's service agent, which cannot "
            "write the model bucket; pass the trainer account (docs/vertex.md), e.g. "
            "screen-genius-trainer@PROJECT.iam.gserviceaccount.com"
        )
    if accelerator_count < 0:
        raise SpecError(f"_ACCELERATOR_COUNT must be 0 or more, not {accelerator_count}")
    if bool(accelerator_type) != (accelerator_count > 0):
        raise SpecError(
            "set _ACCELERATOR_TYPE and _ACCELERATOR_COUNT together (a type and a count of 1 or more), "
            "or neither for a CPU-only machine"
        )
    if accelerator_type:
        family = ACCELERATOR_MACHINES.get(accelerator_type)
        if family is None:
            raise SpecError(
                f"unknown _ACCELERATOR_TYPE '{accelerator_type}'; one of: " + ", ".join(sorted(ACCELERATOR_MACHINES))
            )
        if not machine_type.startswith(family):
            raise SpecError(f"{accelerator_type} runs on {family}* machines on Vertex AI, not on {machine_type}")
    try:
        extra = shlex.split(run_args)
    except ValueError as e:
        raise SpecError(f"_RUN_ARGS '{run_args}' is not a shell-style argument list: {e}") from None
    reserved = {"--dataset", "--to", "--work"} & {a.split("=", 1)[0] for a in extra}
    if reserved:
        raise SpecError(f"_RUN_ARGS may not set {', '.join(sorted(reserved))}: use _DATASET and _BUCKET/_PREFIX")
    machine = {"machineType": machine_type}
    if accelerator_type:
        machine.update(acceleratorType=accelerator_type, acceleratorCount=accelerator_count)
    spec = {
        "workerPoolSpecs": [
            {
                "machineSpec": machine,
                "replicaCount": 1,
                "diskSpec": {"bootDiskType": "pd-ssd", "bootDiskSizeGb": BOOT_DISK_GB},
                "containerSpec": {
                    "imageUri": image,
                    "args": ["run", "--dataset", dataset, "--to", to, "--work", WORK_DIR, "--no-progress", *extra],
                    "env": [{"name": "HF_HUB_OFFLINE", "value": "1"}],
                },
            }
        ]
    }
    spec["serviceAccount"] = service_account
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the Vertex AI CustomJobSpec of a training run (JSON).")
    parser.add_argument("--image", required=True)
    parser.add_argument("--machine-type", required=True)
    parser.add_argument("--accelerator-type", default="")
    parser.add_argument("--accelerator-count", default="0")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--to", required=True)
    parser.add_argument("--run-args", default="")
    parser.add_argument("--service-account", required=True)
    args = parser.parse_args(argv)
    try:
        if not args.accelerator_count.isdigit():
            raise SpecError(f"_ACCELERATOR_COUNT must be a whole number, not '{args.accelerator_count}'")
        spec = job_spec(
            args.image,
            args.machine_type,
            args.dataset,
            args.to,
            args.accelerator_type,
            int(args.accelerator_count),
            args.run_args,
            args.service_account,
        )
    except SpecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    json.dump(spec, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
