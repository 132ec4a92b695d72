/**
 * InstallCloudAssistant (remediation).
 *
 * Sources: TS-SDK `installCloudAssistant` docstring and `InstallCloudAssistantRequest` (`InstanceId.N`
 * 1–50, `RegionId` required), Docs2021 `InstallCloudAssistant.md` (response `{ RequestId }`; errors
 * 404 `InvalidInstance.NotFound`, 500 `InternalError.Dispatch`), ecs-fidelity §4, and the OOS
 * template `ACS::ECS::InstallCloudAssistant` (check Running → install → RebootInstance → wait for
 * Running → wait for `CloudAssistantStatus` "true").
 *
 * - The agent is marked installed at once but, as documented, only comes up after the next boot
 *   ("call RebootInstance to make the Cloud Assistant Agent installation take effect"). An instance
 *   whose agent is installed already is left as it is.
 * - Every instance must be `Running` (403 `IncorrectInstanceStatus`, the RebootInstance code:
 *   UNVERIFIED here) and not a Red Hat image (403 `Operation.Forbidden`: UNVERIFIED code; the
 *   refusal itself is documented). One bad instance fails the whole request (UNVERIFIED); no
 *   instance is changed then.
 * - No `InstanceId.N` → 400 `MissingParam.InstanceId`, more than 50 → 403
 *   `InstanceIds.ExceedLimit` (the Cloud Assistant codes; UNVERIFIED for this action).
 */
import { apiErrors } from '../errors.js';
import { type ActionHandler, listParam, requireRegion } from './context.js';

const MAX_IDS = 50;

/** Whether an OS name is a Red Hat image (InstallCloudAssistant does not support it). */
function isRedHat(osName: string | undefined): boolean {
  return osName !== undefined && /red\s*hat|\brhel\b/i.test(osName);
}

export const installCloudAssistant: ActionHandler = (p, ctx) => {
  const region = requireRegion(p, ctx);
  const ids = [...new Set(listParam(p, 'InstanceId').filter((id) => id !== ''))];
  if (ids.length === 0) throw apiErrors.missingInstanceId();
  if (ids.length > MAX_IDS) throw apiErrors.instanceIdsExceedLimit();
  const t = ctx.clock.now();
  const instances = ids.map((id) => {
    const inst = region.byId.get(id);
    if (inst === undefined || !inst.visible(t) || inst.managed) throw apiErrors.instanceNotFound();
    return inst;
  });
  for (const inst of instances) if (inst.statusAt(t) !== 'Running') throw apiErrors.incorrectInstanceStatus();
  for (const inst of instances)
    if (isRedHat(inst.osName)) throw apiErrors.installNotSupportedOnOs(inst.osName ?? '');
  for (const inst of instances) ctx.fleet.markAgentInstalled(inst.id);
  return JSON.stringify({ RequestId: ctx.requestId });
};
