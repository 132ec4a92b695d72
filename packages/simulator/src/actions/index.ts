import type { ActionHandler } from './context.js';
import { describeCloudAssistantStatus } from './describe-cloud-assistant-status.js';
import { describeInvocationResults, describeInvocations, runCommand } from './run-command.js';

/** Every action the simulator answers, by name. */
export const actions: ReadonlyMap<string, ActionHandler> = new Map([
  ['DescribeCloudAssistantStatus', describeCloudAssistantStatus],
  ['RunCommand', runCommand],
  ['DescribeInvocations', describeInvocations],
  ['DescribeInvocationResults', describeInvocationResults],
]);

/** A 200 body that breaks each action's schema (for the `badSchema` fault). */
export function badSchemaBody(action: string, requestId: string): string {
  if (action === 'DescribeCloudAssistantStatus') {
    // A boolean where the API sends the string "true"/"false", and a numeric ID.
    return `{"RequestId":"${requestId}","TotalCount":"one","InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[{"InstanceId":42,"CloudAssistantStatus":true}]}}`;
  }
  return `{"RequestId":"${requestId}","Unexpected":{"Shape":[]}}`;
}
