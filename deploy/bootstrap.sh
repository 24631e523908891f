#!/usr/bin/env bash
# One-time set-up of a Google Cloud project for Screen Genius; safe to run again.
#
#   deploy/bootstrap.sh [--dry-run] PROJECT_ID [REGION]
#
# Run it as a project Owner, with gcloud and firebase logged in (`gcloud auth login`,
# `firebase login`). It enables the APIs, adds Firebase and the Hosting site PROJECT_ID
# (https://PROJECT_ID.web.app), creates the model bucket gs://PROJECT_ID-screen-genius
# (override with BUCKET=...) in REGION with uniform access, creates three service
# accounts and gives each only the roles docs/deploy.md lists with their reasons.
# Nothing exists yet? Everything is created. Something exists? It is left as it is and
# the grants are re-applied (adding a binding that exists changes nothing).
# --dry-run prints every command instead of running it.
# Uses gcloud and firebase only (firebase: on PATH, else frontend/node_modules/.bin/firebase).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
# shellcheck source=deploy.env
. "$HERE/deploy.env"

usage() { echo "usage: deploy/bootstrap.sh [--dry-run] PROJECT_ID [REGION]  (REGION default: $REGION)" >&2; exit 2; }

DRY_RUN=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    -h|--help) usage ;;
    -*) echo "unknown option $arg" >&2; usage ;;
    *) ARGS+=("$arg") ;;
  esac
done
[ "${#ARGS[@]}" -ge 1 ] && [ "${#ARGS[@]}" -le 2 ] || usage
PROJECT="${ARGS[0]}"
REWRITE_REGION="$REGION"
REGION="${ARGS[1]:-$REGION}"
if ! [[ "$PROJECT" =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
  echo "error: '$PROJECT' is not a Google Cloud project id (6-30 lowercase letters, digits, hyphens)" >&2; exit 2
fi
if ! [[ "$REGION" =~ ^[a-z]+-[a-z]+[0-9]+$ ]]; then
  echo "error: '$REGION' is not a region like us-central1" >&2; exit 2
fi
if [ "$REGION" != "$REWRITE_REGION" ]; then
  echo "note: the function is deployed to REGION=$REWRITE_REGION (deploy/deploy.env, repeated in firebase.json);" \
       "set both to $REGION before deploying" >&2
fi
BUCKET="${BUCKET:-$PROJECT-screen-genius}"
SOURCE_BUCKET="${PROJECT}_cloudbuild"   # where `gcloud builds submit` uploads the source
FIREBASE="${FIREBASE:-$(command -v firebase || echo "$REPO/frontend/node_modules/.bin/firebase")}"

RUNTIME_EMAIL="$RUNTIME_SA@$PROJECT.iam.gserviceaccount.com"
DEPLOY_EMAIL="$DEPLOY_SA@$PROJECT.iam.gserviceaccount.com"
FN_BUILD_EMAIL="$FUNCTION_BUILD_SA@$PROJECT.iam.gserviceaccount.com"

show() { printf '%q ' "$@" | sed 's/ $//'; }

# run CMD...: run it (or print it with --dry-run). quietly: the same, its output dropped.
run() {
  if [ "$DRY_RUN" = 1 ]; then show "$@"; echo; else echo "+ $(show "$@")" >&2; "$@"; fi
}
quietly() {
  if [ "$DRY_RUN" = 1 ]; then run "$@"; else run "$@" >/dev/null; fi
}

# ensure CHECK... '||' CREATE...: run CREATE only when CHECK fails (the thing is missing).
ensure() {
  local check=() create=()
  while [ "$#" -gt 0 ] && [ "$1" != "||" ]; do check+=("$1"); shift; done
  shift
  create=("$@")
  if [ "$DRY_RUN" = 1 ]; then
    echo "$(show "${check[@]}") >/dev/null 2>&1 || $(show "${create[@]}")"
  elif "${check[@]}" >/dev/null 2>&1; then
    echo "= exists: $(show "${check[@]}")" >&2
  else
    echo "+ $(show "${create[@]}")" >&2
    "${create[@]}"
  fi
}

step() { echo; echo "## $*"; }

command -v gcloud >/dev/null || { echo "error: gcloud is not on PATH: install the Google Cloud CLI" >&2; exit 2; }
if [ "$DRY_RUN" = 0 ] && [ ! -x "$FIREBASE" ] && ! command -v "$FIREBASE" >/dev/null; then
  echo "error: no firebase CLI: run 'make web-setup' (installs frontend/node_modules/.bin/firebase) or npm i -g firebase-tools" >&2
  exit 2
fi

step "Billing (Cloud Functions and Cloud Build need a billing account)"
if [ "$DRY_RUN" = 1 ]; then
  run gcloud billing projects describe "$PROJECT" --format='value(billingEnabled)'
elif [ "$(gcloud billing projects describe "$PROJECT" --format='value(billingEnabled)')" != "True" ]; then
  echo "error: billing is not enabled on $PROJECT. Link a billing account, then run this again:" >&2
  echo "  gcloud billing accounts list; gcloud billing projects link $PROJECT --billing-account=ACCOUNT_ID" >&2
  exit 1
fi

step "APIs"
run gcloud services enable --project "$PROJECT" \
  cloudresourcemanager.googleapis.com serviceusage.googleapis.com iam.googleapis.com \
  cloudbuild.googleapis.com cloudfunctions.googleapis.com run.googleapis.com \
  artifactregistry.googleapis.com storage.googleapis.com logging.googleapis.com \
  firebase.googleapis.com firebasehosting.googleapis.com

step "Firebase and the Hosting site $PROJECT (https://$PROJECT.web.app)"
ensure "$FIREBASE" apps:list --project "$PROJECT" --non-interactive \
  '||' "$FIREBASE" projects:addfirebase "$PROJECT" --non-interactive
ensure "$FIREBASE" hosting:sites:get "$PROJECT" --project "$PROJECT" --non-interactive \
  '||' "$FIREBASE" hosting:sites:create "$PROJECT" --project "$PROJECT" --non-interactive

step "Buckets in $REGION, uniform access: gs://$BUCKET (models), gs://$SOURCE_BUCKET (build sources)"
for bucket in "$BUCKET" "$SOURCE_BUCKET"; do
  ensure gcloud storage buckets describe "gs://$bucket" --project "$PROJECT" \
    '||' gcloud storage buckets create "gs://$bucket" --project "$PROJECT" --location "$REGION" \
         --uniform-bucket-level-access --public-access-prevention
done

step "Service accounts"
ensure gcloud iam service-accounts describe "$RUNTIME_EMAIL" --project "$PROJECT" \
  '||' gcloud iam service-accounts create "$RUNTIME_SA" --project "$PROJECT" \
       --display-name "Screen Genius function (runtime)" --description "Runs the recommend function; reads gs://$BUCKET"
ensure gcloud iam service-accounts describe "$DEPLOY_EMAIL" --project "$PROJECT" \
  '||' gcloud iam service-accounts create "$DEPLOY_SA" --project "$PROJECT" \
       --display-name "Screen Genius deploy (Cloud Build)" --description "Runs cloudbuild.yaml"
ensure gcloud iam service-accounts describe "$FN_BUILD_EMAIL" --project "$PROJECT" \
  '||' gcloud iam service-accounts create "$FUNCTION_BUILD_SA" --project "$PROJECT" \
       --display-name "Screen Genius function image build" --description "Builds the recommend function's image"

step "Custom role $INVOKER_POLICY_ROLE: read and set IAM on Cloud Run services, nothing else"
INVOKER_PERMISSIONS=run.services.getIamPolicy,run.services.setIamPolicy
ensure gcloud iam roles describe "$INVOKER_POLICY_ROLE" --project "$PROJECT" \
  '||' gcloud iam roles create "$INVOKER_POLICY_ROLE" --project "$PROJECT" --stage GA \
       --title "Screen Genius: allow unauthenticated function" \
       --description "gcloud functions deploy --allow-unauthenticated sets the Cloud Run service's IAM policy" \
       --permissions "$INVOKER_PERMISSIONS"
# An existing role is brought back to exactly these permissions.
run gcloud iam roles update "$INVOKER_POLICY_ROLE" --project "$PROJECT" --permissions "$INVOKER_PERMISSIONS" --quiet

# Grants. Each role and why it is needed: docs/deploy.md, "Who may do what".
bucket_role() { quietly gcloud storage buckets add-iam-policy-binding "gs://$1" --member "serviceAccount:$2" --role "$3" --quiet; }
project_role() { quietly gcloud projects add-iam-policy-binding "$PROJECT" --member "serviceAccount:$1" --role "$2" --condition "${3:-None}" --quiet; }
act_as() { quietly gcloud iam service-accounts add-iam-policy-binding "$2" --project "$PROJECT" --member "serviceAccount:$1" --role roles/iam.serviceAccountUser --quiet; }

step "Runtime account $RUNTIME_EMAIL: read the models, nothing else"
bucket_role "$BUCKET" "$RUNTIME_EMAIL" roles/storage.objectViewer

step "Build account $DEPLOY_EMAIL: what the steps of cloudbuild.yaml do"
project_role "$DEPLOY_EMAIL" roles/logging.logWriter
bucket_role "$SOURCE_BUCKET" "$DEPLOY_EMAIL" roles/storage.objectViewer
bucket_role "$BUCKET" "$DEPLOY_EMAIL" roles/storage.objectAdmin
project_role "$DEPLOY_EMAIL" roles/cloudfunctions.developer
act_as "$DEPLOY_EMAIL" "$RUNTIME_EMAIL"
act_as "$DEPLOY_EMAIL" "$FN_BUILD_EMAIL"
project_role "$DEPLOY_EMAIL" "projects/$PROJECT/roles/$INVOKER_POLICY_ROLE"
project_role "$DEPLOY_EMAIL" roles/firebasehosting.admin
project_role "$DEPLOY_EMAIL" roles/run.viewer
project_role "$DEPLOY_EMAIL" roles/serviceusage.apiKeysViewer
project_role "$DEPLOY_EMAIL" roles/serviceusage.serviceUsageConsumer

step "Function build account $FN_BUILD_EMAIL: build the function's image"
project_role "$FN_BUILD_EMAIL" roles/logging.logWriter
project_role "$FN_BUILD_EMAIL" roles/artifactregistry.writer
project_role "$FN_BUILD_EMAIL" roles/storage.objectAdmin \
  'expression=resource.name.startsWith("projects/_/buckets/gcf-v2-"),title=function-sources-only,description=Cloud Functions source buckets'

step "Done. Deploy (the first time with _PUBLISH_MODEL=true, which trains and publishes a model):"
cat <<EOF
  gcloud builds submit --project $PROJECT --config cloudbuild.yaml \\
      --service-account projects/$PROJECT/serviceAccounts/$DEPLOY_EMAIL \\
      --substitutions _BUCKET=$BUCKET,_PUBLISH_MODEL=true,_REVISION=\$(git rev-parse HEAD)
  curl -sI https://$PROJECT.web.app/api/health
EOF
