#!/usr/bin/env bash
# Make the recommend function public: anyone may call it (Hosting's /api/** rewrite does).
#
#   deploy/public_access.sh PROJECT       (the deploy build's `public-access` step; or by hand)
#
# First the usual way, allUsers as Cloud Run invoker on the service behind the function. Where an
# organisation policy refuses allUsers (Domain Restricted Sharing, iam.allowedPolicyMemberDomains:
# "do not belong to a permitted customer"), it turns the service's invoker IAM check off instead,
# which Cloud Run's documentation recommends for exactly that case. Any other refusal stops here,
# with what to do. Needs the custom role PUBLIC_ACCESS_ROLE (deploy.env) on the service.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy.env
. "$HERE/deploy.env"
PROJECT="${1:?usage: deploy/public_access.sh PROJECT}"
where=(--project "$PROJECT" --region "$REGION")
err="$(mktemp)"
trap 'rm -f "$err"' EXIT

if gcloud run services add-iam-policy-binding "$FUNCTION_ID" "${where[@]}" \
    --member allUsers --role roles/run.invoker --quiet >/dev/null 2>"$err"; then
  echo "public: allUsers may invoke Cloud Run service $FUNCTION_ID ($REGION)"
elif grep -qE 'permitted customer|allowedPolicyMemberDomains|FAILED_PRECONDITION' "$err"; then
  cat "$err" >&2
  echo "the organisation policy refuses allUsers (domain restricted sharing):" \
       "turning the invoker IAM check of $FUNCTION_ID off instead"
  gcloud run services update "$FUNCTION_ID" "${where[@]}" --no-invoker-iam-check --quiet
  echo "public: the invoker IAM check of Cloud Run service $FUNCTION_ID ($REGION) is off"
else
  cat "$err" >&2
  echo "error: could not make $FUNCTION_ID public. PERMISSION_DENIED means this account lacks the custom role" \
       "$PUBLIC_ACCESS_ROLE on the service: run deploy/bootstrap.sh $PROJECT again (docs/deploy.md, 'If a step is refused')." >&2
  exit 1
fi
