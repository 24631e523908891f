#!/usr/bin/env bash
# One-time set-up of a Google Cloud project for Screen Genius; safe to run again.
#
#   deploy/bootstrap.sh [--dry-run] PROJECT_ID [REGION]
#
# Run it as a project Owner, with gcloud and firebase logged in (`gcloud auth login`,
# `firebase login`; the account must have accepted the Firebase terms once, docs/deploy.md).
# It enables the APIs, adds Firebase and the Hosting site PROJECT_ID
# (https://PROJECT_ID.web.app), creates the buckets (the model bucket
# gs://PROJECT_ID-screen-genius, override with BUCKET=...) and the function's image
# repository in REGION, five service accounts, and gives each only the roles
# docs/deploy.md lists with the step that needs them.
# REGION, when given, is written into deploy/deploy.env and firebase.json's rewrite, so the
# buckets, the function and Hosting's rewrite share one region.
# Nothing exists yet? Everything is created. Something exists? It is left as it is and
# the grants are re-applied (adding a binding that exists changes nothing). A grant refused
# because IAM has not caught up with an account made seconds ago is retried with backoff.
# --dry-run prints the plan, account by account, and every command, and runs none.
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
NEW_REGION="${ARGS[1]:-$REGION}"
if ! [[ "$PROJECT" =~ ^[a-z][a-z0-9-]{4,28}[a-z0-9]$ ]]; then
  echo "error: '$PROJECT' is not a Google Cloud project id (6-30 lowercase letters, digits, hyphens)" >&2; exit 2
fi
if ! [[ "$NEW_REGION" =~ ^[a-z]+-[a-z]+[0-9]+$ ]]; then
  echo "error: '$NEW_REGION' is not a region like us-central1" >&2; exit 2
fi
# One region for the buckets, the repository, the function and Hosting's rewrite to it.
if [ "$NEW_REGION" != "$REGION" ]; then
  FIREBASE_JSON="$REPO/firebase.json"
  if [ "$(grep -c '"region": ' "$FIREBASE_JSON")" != 1 ]; then
    echo "error: $FIREBASE_JSON should name one region (the /api/** rewrite's); set it to $NEW_REGION by hand" >&2; exit 2
  fi
  if [ "$DRY_RUN" = 1 ]; then
    echo "# would set REGION=$NEW_REGION in deploy/deploy.env and in firebase.json's /api/** rewrite (now $REGION)"
  else
    sed -i.bak "s/^REGION=.*/REGION=$NEW_REGION/" "$HERE/deploy.env" && rm -f "$HERE/deploy.env.bak"
    sed -i.bak "s/\"region\": \"[^\"]*\"/\"region\": \"$NEW_REGION\"/" "$FIREBASE_JSON" && rm -f "$FIREBASE_JSON.bak"
    echo "note: REGION=$NEW_REGION is now in deploy/deploy.env and firebase.json (was $REGION): commit both" >&2
  fi
fi
REGION="$NEW_REGION"
BUCKET="${BUCKET:-$PROJECT-screen-genius}"
SOURCE_BUCKET="${PROJECT}_cloudbuild"   # where `gcloud builds submit` uploads the source
TEST_LOGS_BUCKET="$PROJECT-screen-genius-test-logs"  # the test build's logs (its account has no project role)
FIREBASE="${FIREBASE:-$(command -v firebase || echo "$REPO/frontend/node_modules/.bin/firebase")}"

email() { echo "$1@$PROJECT.iam.gserviceaccount.com"; }
TEST_EMAIL="$(email "$TEST_SA")"
PUBLISH_EMAIL="$(email "$PUBLISH_SA")"
DEPLOY_EMAIL="$(email "$DEPLOY_SA")"
RUNTIME_EMAIL="$(email "$RUNTIME_SA")"
FN_BUILD_EMAIL="$(email "$FUNCTION_BUILD_SA")"

show() { printf '%q ' "$@" | sed 's/ $//'; }

# run CMD...: run it (or print it with --dry-run). quietly: the same, its output dropped.
run() {
  if [ "$DRY_RUN" = 1 ]; then show "$@"; echo; else echo "+ $(show "$@")" >&2; "$@"; fi
}
quietly() {
  if [ "$DRY_RUN" = 1 ]; then run "$@"; else run "$@" >/dev/null; fi
}

# retried CMD...: run it; when refused, try again after each of RETRY_DELAYS seconds. IAM is
# eventually consistent: a grant to an account made seconds ago can be refused (PERMISSION_DENIED,
# "does not exist") until the account has propagated. Bounded: then it stops and says why.
RETRY_DELAYS="${BOOTSTRAP_RETRY_DELAYS:-5 10 20 40 60}"
retried() {
  if [ "$DRY_RUN" = 1 ]; then run "$@"; return; fi
  local err tries=1
  err="$(mktemp)"
  echo "+ $(show "$@")" >&2
  for delay in $RETRY_DELAYS; do
    if "$@" >/dev/null 2>"$err"; then rm -f "$err"; return 0; fi
    echo "  refused, trying again in ${delay}s (IAM may not know a new account yet): $(tr '\n' ' ' <"$err" | cut -c1-300)" >&2
    sleep "$delay"
    tries=$((tries + 1))
  done
  if "$@" >/dev/null 2>"$err"; then rm -f "$err"; return 0; fi
  echo "error: refused $tries times over $(( $(echo "$RETRY_DELAYS" | tr ' ' '+') )) s:" >&2
  cat "$err" >&2
  rm -f "$err"
  echo "If an account above was created just now, IAM may still be catching up: run bootstrap.sh again in a few minutes" \
       "(what exists is kept). Otherwise the message names what is missing." >&2
  exit 1
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
# An account that has never accepted the Firebase terms cannot add Firebase from the command
# line: open https://console.firebase.google.com/ once as that account and accept them.
if ! ensure "$FIREBASE" apps:list --project "$PROJECT" --non-interactive \
    '||' "$FIREBASE" projects:addfirebase "$PROJECT" --non-interactive; then
  echo "error: adding Firebase to $PROJECT failed. If this account has never used Firebase, open" \
       "https://console.firebase.google.com/ as it, accept the Firebase terms, then run bootstrap.sh again" \
       "(docs/deploy.md, 'Before you start')." >&2
  exit 1
fi
ensure "$FIREBASE" hosting:sites:get "$PROJECT" --project "$PROJECT" --non-interactive \
  '||' "$FIREBASE" hosting:sites:create "$PROJECT" --project "$PROJECT" --non-interactive

step "Buckets in $REGION, uniform access: gs://$BUCKET (models), gs://$SOURCE_BUCKET (build sources), gs://$TEST_LOGS_BUCKET (test build logs)"
for bucket in "$BUCKET" "$SOURCE_BUCKET" "$TEST_LOGS_BUCKET"; do
  ensure gcloud storage buckets describe "gs://$bucket" --project "$PROJECT" \
    '||' gcloud storage buckets create "gs://$bucket" --project "$PROJECT" --location "$REGION" \
         --uniform-bucket-level-access --public-access-prevention
done

step "Artifact Registry repository $FUNCTION_REPOSITORY in $REGION (the function's images)"
ensure gcloud artifacts repositories describe "$FUNCTION_REPOSITORY" --project "$PROJECT" --location "$REGION" \
  '||' gcloud artifacts repositories create "$FUNCTION_REPOSITORY" --project "$PROJECT" --location "$REGION" \
       --repository-format docker --description "Screen Genius: the recommend function's images"

step "Service accounts"
service_account() {
  ensure gcloud iam service-accounts describe "$(email "$1")" --project "$PROJECT" \
    '||' gcloud iam service-accounts create "$1" --project "$PROJECT" --display-name "$2" --description "$3"
}
service_account "$TEST_SA" "Screen Genius tests (Cloud Build)" "Runs deploy/test.cloudbuild.yaml; holds no project role"
service_account "$PUBLISH_SA" "Screen Genius publish (Cloud Build)" "Runs deploy/publish.cloudbuild.yaml; writes gs://$BUCKET/$MODEL_PREFIX"
service_account "$DEPLOY_SA" "Screen Genius deploy (Cloud Build)" "Runs cloudbuild.yaml: deploys the function and the site"
service_account "$RUNTIME_SA" "Screen Genius function (runtime)" "Runs the recommend function; reads gs://$BUCKET"
service_account "$FUNCTION_BUILD_SA" "Screen Genius function image build" "Builds the recommend function's image"

step "Custom role $PUBLIC_ACCESS_ROLE: make one Cloud Run service public, nothing else"
# allUsers as invoker needs get/setIamPolicy; turning the invoker IAM check off (where the
# organisation refuses allUsers) needs get and update (Cloud Run, "Allowing public access").
PUBLIC_PERMISSIONS=run.services.get,run.services.getIamPolicy,run.services.setIamPolicy,run.services.update
ensure gcloud iam roles describe "$PUBLIC_ACCESS_ROLE" --project "$PROJECT" \
  '||' gcloud iam roles create "$PUBLIC_ACCESS_ROLE" --project "$PROJECT" --stage GA \
       --title "Screen Genius: make the function public" \
       --description "deploy/public_access.sh: allUsers invoker binding, or the invoker IAM check off" \
       --permissions "$PUBLIC_PERMISSIONS"
# An existing role is brought back to exactly these permissions.
run gcloud iam roles update "$PUBLIC_ACCESS_ROLE" --project "$PROJECT" --permissions "$PUBLIC_PERMISSIONS" --quiet

# Grants. Each role and the step that needs it: docs/deploy.md, "Who may do what".
member() { echo "serviceAccount:$1"; }
bucket_role() {
  local condition=()
  [ -z "${4:-}" ] || condition=(--condition "$4")
  retried gcloud storage buckets add-iam-policy-binding "gs://$1" --member "$(member "$2")" --role "$3" "${condition[@]}" --quiet
}
project_role() { retried gcloud projects add-iam-policy-binding "$PROJECT" --member "$(member "$1")" --role "$2" --condition "${3:-None}" --quiet; }
act_as() { retried gcloud iam service-accounts add-iam-policy-binding "$2" --project "$PROJECT" --member "$(member "$1")" --role roles/iam.serviceAccountUser --quiet; }
repository_role() { retried gcloud artifacts repositories add-iam-policy-binding "$FUNCTION_REPOSITORY" --project "$PROJECT" --location "$REGION" --member "$(member "$1")" --role "$2" --quiet; }
service_role() { retried gcloud run services add-iam-policy-binding "$FUNCTION_ID" --project "$PROJECT" --region "$REGION" --member "$(member "$1")" --role "$2" --quiet; }

step "Test account $TEST_EMAIL: read the uploaded source, write its own logs; no project role"
bucket_role "$SOURCE_BUCKET" "$TEST_EMAIL" roles/storage.objectViewer
bucket_role "$TEST_LOGS_BUCKET" "$TEST_EMAIL" roles/storage.admin

step "Publish account $PUBLISH_EMAIL: write gs://$BUCKET/$MODEL_PREFIX/ only"
project_role "$PUBLISH_EMAIL" roles/logging.logWriter
bucket_role "$SOURCE_BUCKET" "$PUBLISH_EMAIL" roles/storage.objectViewer
bucket_role "$BUCKET" "$PUBLISH_EMAIL" roles/storage.objectAdmin \
  "expression=resource.type == \"storage.googleapis.com/Bucket\" || resource.name.startsWith(\"projects/_/buckets/$BUCKET/objects/$MODEL_PREFIX/\"),title=model-prefix-only,description=list the bucket and write $MODEL_PREFIX/ only"

step "Deploy account $DEPLOY_EMAIL: deploy the function, make it public, deploy the site"
project_role "$DEPLOY_EMAIL" roles/logging.logWriter
bucket_role "$SOURCE_BUCKET" "$DEPLOY_EMAIL" roles/storage.objectViewer
bucket_role "$BUCKET" "$DEPLOY_EMAIL" roles/storage.objectViewer
project_role "$DEPLOY_EMAIL" roles/cloudfunctions.developer
act_as "$DEPLOY_EMAIL" "$RUNTIME_EMAIL"
act_as "$DEPLOY_EMAIL" "$FN_BUILD_EMAIL"
PUBLIC_ROLE="projects/$PROJECT/roles/$PUBLIC_ACCESS_ROLE"
# On the recommend service itself once it exists. Before the first deploy there is no service to
# bind to (and Cloud Run takes no IAM condition on a resource name), so the role is granted on the
# project until then; deploy/deploy.sh moves it onto the service right after the first deploy.
if [ "$DRY_RUN" = 0 ] && gcloud run services describe "$FUNCTION_ID" --project "$PROJECT" --region "$REGION" >/dev/null 2>&1; then
  service_role "$DEPLOY_EMAIL" "$PUBLIC_ROLE"
  gcloud projects remove-iam-policy-binding "$PROJECT" --member "$(member "$DEPLOY_EMAIL")" \
    --role "$PUBLIC_ROLE" --condition None --quiet >/dev/null 2>&1 || true  # left by a first bootstrap, if any
else
  [ "$DRY_RUN" = 0 ] || echo "# on the project until the first deploy creates service $FUNCTION_ID; then on the service"
  project_role "$DEPLOY_EMAIL" "$PUBLIC_ROLE"
fi
project_role "$DEPLOY_EMAIL" roles/firebasehosting.admin
project_role "$DEPLOY_EMAIL" roles/run.viewer
project_role "$DEPLOY_EMAIL" roles/serviceusage.serviceUsageConsumer

step "Runtime account $RUNTIME_EMAIL: read the models, nothing else"
bucket_role "$BUCKET" "$RUNTIME_EMAIL" roles/storage.objectViewer

step "Function build account $FN_BUILD_EMAIL: build the function's image"
project_role "$FN_BUILD_EMAIL" roles/logging.logWriter
repository_role "$FN_BUILD_EMAIL" roles/artifactregistry.writer
project_role "$FN_BUILD_EMAIL" roles/storage.objectAdmin \
  'expression=resource.name.startsWith("projects/_/buckets/gcf-v2-"),title=function-sources-only,description=Cloud Functions source buckets'

step "Grants of the earlier set-up that no step needs any more (removed where present)"
# The deploy account no longer publishes (model objectAdmin), reads API keys or holds the old
# invoker role on the project; the image build account writes one repository, not all of them.
revoke() {
  local where=("$@")
  if [ "$DRY_RUN" = 1 ]; then run "${where[@]}"; else "${where[@]}" >/dev/null 2>&1 && echo "- removed: ${where[*]:0:4}" >&2 || true; fi
}
revoke gcloud storage buckets remove-iam-policy-binding "gs://$BUCKET" --member "$(member "$DEPLOY_EMAIL")" --role roles/storage.objectAdmin --quiet
revoke gcloud projects remove-iam-policy-binding "$PROJECT" --member "$(member "$DEPLOY_EMAIL")" --role roles/serviceusage.apiKeysViewer --condition None --quiet
revoke gcloud projects remove-iam-policy-binding "$PROJECT" --member "$(member "$DEPLOY_EMAIL")" --role "projects/$PROJECT/roles/screenGeniusInvokerPolicy" --condition None --quiet
revoke gcloud projects remove-iam-policy-binding "$PROJECT" --member "$(member "$FN_BUILD_EMAIL")" --role roles/artifactregistry.writer --condition None --quiet

step "Done. Test, publish the first model and deploy (later deploys leave out --publish-model):"
cat <<EOF
  deploy/deploy.sh --publish-model $PROJECT
  curl -sI https://$PROJECT.web.app/api/health
EOF
