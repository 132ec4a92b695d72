/**
 * The instance-lifecycle actions the waiter may use around a wait: `DescribeInstanceStatus` (why
 * an instance is not ready), `InstallCloudAssistant` and `RebootInstances` (opt-in remediation of
 * a missing agent). Built on the client's signed `call`, with the responses checked by zod.
 *
 * Sources: the TS SDK models (`DescribeInstanceStatusRequest`/`ResponseBody`: `InstanceId.N` 1–100,
 * `PageSize` 1–50, `InstanceStatuses.InstanceStatus[{ InstanceId, Status }]`;
 * `InstallCloudAssistantRequest`: `InstanceId.N` 1–50; `RebootInstancesRequest`/`ResponseBody`:
 * `InstanceId.N` 1–100, `BatchOptimization`, `InstanceResponses.InstanceResponse[{ InstanceId,
 * Code, Message, PreviousStatus, CurrentStatus }]`).
 */
import * as z from 'zod';
import type { CallOptions, DescribeInstanceStatusRequest, RpcParams } from './client-types.js';
import { parseResponse } from './schemas.js';
import type {
  AgentInstaller,
  EcsInstanceStatus,
  InstanceRebooter,
  InstanceStatusLookup,
  RebootResult,
} from './types.js';

/** The most IDs one DescribeInstanceStatus or RebootInstances call takes. */
export const MAX_LIFECYCLE_IDS = 100;
/** The most IDs one InstallCloudAssistant call takes. */
export const MAX_INSTALL_IDS = 50;
/** DescribeInstanceStatus's largest page. */
const MAX_PAGE_SIZE = 50;

const long = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

const describeInstanceStatusSchema = z.object({
  RequestId: z.string(),
  TotalCount: long.optional(),
  PageNumber: long.optional(),
  PageSize: long.optional(),
  InstanceStatuses: z
    .object({
      InstanceStatus: z.array(z.object({ InstanceId: z.string(), Status: z.string() })).optional(),
    })
    .optional(),
});

const rebootInstancesSchema = z.object({
  RequestId: z.string(),
  InstanceResponses: z
    .object({
      InstanceResponse: z
        .array(
          z.object({
            InstanceId: z.string(),
            Code: z.union([z.string(), z.number().transform(String)]).optional(),
            Message: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** One page of DescribeInstanceStatus. */
export interface DescribeInstanceStatusResult {
  readonly requestId: string;
  readonly totalCount: number | undefined;
  readonly instances: EcsInstanceStatus[];
}

type Call = (action: string, params: RpcParams, options?: CallOptions) => Promise<Record<string, unknown>>;

function checkIds(ids: readonly string[], max: number, action: string): void {
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > max) {
    throw new RangeError(
      `${action} takes 1 to ${max} instance IDs per call, got ${Array.isArray(ids) ? ids.length : typeof ids}`,
    );
  }
}

/** The lifecycle calls of one client. */
export interface LifecycleCalls {
  describeInstanceStatus(req: DescribeInstanceStatusRequest): Promise<DescribeInstanceStatusResult>;
  readonly instanceStatus: InstanceStatusLookup;
  readonly installAgent: AgentInstaller;
  readonly reboot: InstanceRebooter;
}

export function createLifecycleCalls(call: Call): LifecycleCalls {
  const describeInstanceStatus: LifecycleCalls['describeInstanceStatus'] = async (req) => {
    const ids = req.instanceIds ?? [];
    if (ids.length > MAX_LIFECYCLE_IDS) checkIds(ids, MAX_LIFECYCLE_IDS, 'DescribeInstanceStatus');
    const body = parseResponse(
      describeInstanceStatusSchema,
      await call(
        'DescribeInstanceStatus',
        {
          ...(ids.length > 0 ? { InstanceId: ids } : {}),
          PageNumber: req.pageNumber ?? 1,
          PageSize: req.pageSize ?? MAX_PAGE_SIZE,
        },
        { signal: req.signal, onAttempt: req.onAttempt },
      ),
      'DescribeInstanceStatus',
    );
    return {
      requestId: body.RequestId,
      totalCount: body.TotalCount,
      instances: (body.InstanceStatuses?.InstanceStatus ?? []).map((i) => ({
        instanceId: i.InstanceId,
        status: i.Status,
      })),
    };
  };

  /**
   * Pages of 50 until `TotalCount` statuses arrived (or a short page): ceil(known / 50) calls,
   * at least one, for up to 100 IDs. Only requested IDs are kept, each once: an answer cannot
   * invent an instance.
   */
  const instanceStatus: InstanceStatusLookup = async (ids, opts) => {
    checkIds(ids, MAX_LIFECYCLE_IDS, 'DescribeInstanceStatus');
    const wanted = new Set(ids);
    const out: EcsInstanceStatus[] = [];
    const maxPages = Math.ceil(ids.length / MAX_PAGE_SIZE);
    for (let page = 1; page <= maxPages; page++) {
      const result = await describeInstanceStatus({
        instanceIds: ids,
        pageNumber: page,
        pageSize: MAX_PAGE_SIZE,
        signal: opts.signal,
        onAttempt: opts.onAttempt,
      });
      for (const item of result.instances) {
        if (wanted.delete(item.instanceId)) out.push(item);
      }
      const total = result.totalCount ?? out.length;
      if (result.instances.length < MAX_PAGE_SIZE || out.length >= total || wanted.size === 0) break;
    }
    return out;
  };

  const installAgent: AgentInstaller = async (ids, opts) => {
    checkIds(ids, MAX_INSTALL_IDS, 'InstallCloudAssistant');
    await call(
      'InstallCloudAssistant',
      { InstanceId: ids },
      { signal: opts.signal, onAttempt: opts.onAttempt },
    );
  };

  const reboot: InstanceRebooter = async (ids, opts) => {
    checkIds(ids, MAX_LIFECYCLE_IDS, 'RebootInstances');
    const body = parseResponse(
      rebootInstancesSchema,
      await call(
        'RebootInstances',
        { InstanceId: ids, BatchOptimization: 'SuccessFirst' },
        { signal: opts.signal, onAttempt: opts.onAttempt },
      ),
      'RebootInstances',
    );
    const byId = new Map<string, RebootResult>();
    for (const r of body.InstanceResponses?.InstanceResponse ?? []) {
      if (byId.has(r.InstanceId) || !ids.includes(r.InstanceId)) continue;
      const ok = r.Code === '200';
      byId.set(
        r.InstanceId,
        ok ? { instanceId: r.InstanceId, ok } : { instanceId: r.InstanceId, ok, apiCode: r.Code ?? 'NoCode' },
      );
    }
    // An instance the answer does not mention was not (provably) rebooted.
    return ids.map((id) => byId.get(id) ?? { instanceId: id, ok: false, apiCode: 'NoResult' });
  };

  return { describeInstanceStatus, instanceStatus, installAgent, reboot };
}
