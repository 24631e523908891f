#!/usr/bin/env bash
# Test, (optionally) publish a model, then deploy: three Cloud Builds, each as its own account.
#
#   deploy/deploy.sh [--dry-run] [--publish-model] [--set _NAME=VALUE ...] PROJECT_ID
#
# 1. deploy/test.cloudbuild.yaml as screen-genius-test (no project role): `make test`.
# 2. with --publish-model (needed the first time): deploy/publish.cloudbuild.yaml as
#    screen-genius-publish (the model prefix only): train the bundled data, publish.
# 3. cloudbuild.yaml as screen-genius-deploy: deploy the function, make it public, deploy the site.
# Each build starts only when the one before passed (`gcloud builds submit` waits for it). The
# working tree is uploaded for each; if it changes while they run, the script stops before the
# next build, so what is deployed is what was tested. After the first deploy it moves the
# deploy account's public-access role from the project onto the new Cloud Run service.
# --set passes a substitution to the deploy build (_MIN_INSTANCES, _MAX_INSTANCES, _ALLOWED_ORIGINS,
# _PREFIX). Run it as a project Owner (or anyone who may act as the three build accounts),
# after deploy/bootstrap.sh. --dry-run prints the commands and runs none.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
# shellcheck source=deploy.env
. "$HERE/deploy.env"

usage() { echo "usage: deploy/deploy.sh [--dry-run] [--publish-model] [--set _NAME=VALUE ...] PROJECT_ID" >&2; exit 2; }

DRY_RUN=0
PUBLISH=0
EXTRA=()
ARGS=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --publish-model) PUBLISH=1 ;;
    --set)
      [ "$#" -ge 2 ] && [[ "$2" =~ ^_[A-Z_]+=.*$ ]] || { echo "--set wants _NAME=VALUE" >&2; usage; }
      EXTRA+=("$2"); shift ;;
    -h|--help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) ARGS+=("$1") ;;
  esac
  shift
done
[ "${#ARGS[@]}" = 1 ] || usage
PROJECT="${ARGS[0]}"
if ! [[ "$PROJECT" =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
  echo "error: '$PROJECT' is not a Google Cloud project id (6-30 lowercase letters, digits, hyphens)" >&2; exit 2
fi
BUCKET="${BUCKET:-$PROJECT-screen-genius}"
account() { echo "projects/$PROJECT/serviceAccounts/$1@$PROJECT.iam.gserviceaccount.com"; }
command -v gcloud >/dev/null || { echo "error: gcloud is not on PATH: install the Google Cloud CLI" >&2; exit 2; }

cd "$REPO"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then REVISION="$REVISION-dirty"; fi
# What the builds upload: the commit, the uncommitted changes and the untracked files git does not ignore.
tree_digest() {
  { git rev-parse HEAD; git diff HEAD --binary
    git ls-files --others --exclude-standard -z | xargs -0 -r sha256sum; } 2>/dev/null | sha256sum
}
TESTED="$(tree_digest)"
unchanged() {
  if [ "$(tree_digest)" != "$TESTED" ]; then
    echo "error: the working tree changed after the tests started; what would be deployed is not what was" \
         "tested. Run deploy/deploy.sh again." >&2
    exit 1
  fi
}
show() { printf '%q ' "$@" | sed 's/ $//'; }
run() {
  if [ "$DRY_RUN" = 1 ]; then show "$@"; echo; else echo "+ $(show "$@")" >&2; "$@"; fi
}
step() { echo; echo "## $*"; }

step "1. Tests, as $TEST_SA (no project role)"
run gcloud builds submit --project "$PROJECT" --config deploy/test.cloudbuild.yaml \
  --service-account "$(account "$TEST_SA")" --gcs-log-dir "gs://$PROJECT-screen-genius-test-logs/logs"

if [ "$PUBLISH" = 1 ]; then
  step "2. Publish a model to gs://$BUCKET/$MODEL_PREFIX, as $PUBLISH_SA"
  unchanged
  run gcloud builds submit --project "$PROJECT" --config deploy/publish.cloudbuild.yaml \
    --service-account "$(account "$PUBLISH_SA")" \
    --substitutions "_BUCKET=$BUCKET,_PREFIX=$MODEL_PREFIX,_REVISION=$REVISION"
else
  step "2. No new model (--publish-model to train and publish one): the function keeps serving gs://$BUCKET/$MODEL_PREFIX/latest.json"
fi

step "3. Deploy the function and the site, as $DEPLOY_SA"
unchanged
FIRST=0
if [ "$DRY_RUN" = 0 ] && ! gcloud run services describe "$FUNCTION_ID" --project "$PROJECT" --region "$REGION" >/dev/null 2>&1; then
  FIRST=1
fi
# ^;^ makes ';' the separator, so a value (e.g. _ALLOWED_ORIGINS) may hold commas.
substitutions="^;^_BUCKET=$BUCKET"
for pair in "${EXTRA[@]}"; do substitutions="$substitutions;$pair"; done
run gcloud builds submit --project "$PROJECT" --config cloudbuild.yaml \
  --service-account "$(account "$DEPLOY_SA")" --substitutions "$substitutions"

if [ "$FIRST" = 1 ]; then
  step "First deploy: the public-access role moves from the project onto service $FUNCTION_ID"
  member="serviceAccount:$DEPLOY_SA@$PROJECT.iam.gserviceaccount.com"
  role="projects/$PROJECT/roles/$PUBLIC_ACCESS_ROLE"
  run gcloud run services add-iam-policy-binding "$FUNCTION_ID" --project "$PROJECT" --region "$REGION" \
    --member "$member" --role "$role" --quiet
  run gcloud projects remove-iam-policy-binding "$PROJECT" --member "$member" --role "$role" --condition None --quiet
fi

step "Done: https://$PROJECT.web.app"
echo "  curl -sI https://$PROJECT.web.app/api/health"
