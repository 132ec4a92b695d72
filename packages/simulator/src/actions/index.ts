import type { ActionHandler } from './context.js';
import { describeCloudAssistantStatus } from './describe-cloud-assistant-status.js';
import { installCloudAssistant } from './install-cloud-assistant.js';
import { describeInstanceStatus, rebootInstance, rebootInstances } from './instances.js';
import { describeInvocationResults, describeInvocations, runCommand } from './run-command.js';
import { describeSendFileResults, sendFile } from './send-file.js';

/** Every action the simulator answers, by name. */
export const actions: ReadonlyMap<string, ActionHandler> = new Map([
  ['DescribeCloudAssistantStatus', describeCloudAssistantStatus],
  ['RunCommand', runCommand],
  ['DescribeInvocations', describeInvocations],
  ['DescribeInvocationResults', describeInvocationResults],
  ['DescribeInstanceStatus', describeInstanceStatus],
  ['RebootInstance', rebootInstance],
  ['RebootInstances', rebootInstances],
  ['InstallCloudAssistant', installCloudAssistant],
  ['SendFile', sendFile],
  ['DescribeSendFileResults', describeSendFileResults],
]);

/** A 200 body that breaks each action's schema (for the `badSchema` fault). */
export function badSchemaBody(action: string, requestId: string): string {
  if (action === 'DescribeCloudAssistantStatus') {
    // A boolean where the API sends the string "true"/"false", and a numeric ID.
    return `{"RequestId":"${requestId}","TotalCount":"one","InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[{"InstanceId":42,"CloudAssistantStatus":true}]}}`;
  }
  return `{"RequestId":"${requestId}","Unexpected":{"Shape":[]}}`;
}
