#!/usr/bin/env bash
# Gate a deployment on Cloud Assistant readiness, then deploy to the ready instances.
#
#   ./gate-and-deploy.sh ids.txt
#
# Settings come from the environment, as in CI: CLOUD_ASSISTANT_GATE_REGION (required),
# CLOUD_ASSISTANT_GATE_TIMEOUT, CLOUD_ASSISTANT_GATE_MIN_READY, ... and the usual Alibaba Cloud
# credentials (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, or a RAM role).
# DEPLOY_COMMAND is run with the file of ready instance IDs as its argument (default: print it).
set -euo pipefail

ids_file=${1:?usage: gate-and-deploy.sh IDS_FILE}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The CLI from this repository (built by `pnpm build`), or CLOUD_ASSISTANT_GATE_BIN. Not
# `npx cloud-assistant-gate`: the package is not published, so npx would fetch a stranger's.
gate=${CLOUD_ASSISTANT_GATE_BIN:-"$here/../../packages/waiter/dist/cli/bin.js"}
report=${GATE_REPORT:-gate-report.json}

set +e
node "$gate" wait --ids-file "$ids_file" --no-progress --json >"$report"
code=$?
set -e

case "$code" in
  0) echo "gate: passed" ;;
  1) echo "gate: not ready in time; stragglers are listed above and in $report" >&2; exit 1 ;;
  2) echo "gate: bad usage or instance ID list; fix the job" >&2; exit 2 ;;
  3) echo "gate: credentials or permission problem (ecs:DescribeCloudAssistantStatus)" >&2; exit 3 ;;
  4) echo "gate: the ECS API kept failing; retry the job later" >&2; exit 4 ;;
  130) echo "gate: cancelled" >&2; exit 130 ;;
  *) echo "gate: unexpected exit code $code" >&2; exit "$code" ;;
esac

# The JSON report lists the ready IDs (all of them, or the --min-ready quorum). No jq needed.
ready_file=${READY_FILE:-ready-ids.txt}
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  require("node:fs").writeFileSync(process.argv[2], r.ready.join("\n") + "\n");
  console.log(`gate: ${r.readyCount}/${r.total} ready in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.apiCalls} API calls)`);
' "$report" "$ready_file"

${DEPLOY_COMMAND:-echo deploying to the instances in} "$ready_file"
