// Evaluates many IAM requests against identity policies in one process: infra/rehearsal/iam.py writes
// {"requests": [{action, resource, account, principal, context, policies: [{name, policy}], resourcePolicy,
// resourceLevel}]}
// to stdin and reads one answer per request from stdout:
// {result, error, statements: [{policy, sid, effect, actionMatch, resourceMatch, conditionMatch, resource, condition}]}.
// `statements` lists the statements that name the action (what a denial's message explains from).
// `resourceLevel`: AWS authorizes the action against a resource although the IAM reference lists none (Step
// Functions' task-token calls against the state machine the token belongs to); evaluated without that validation.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const { requests } = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const asList = (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value])

function namingStatements(analysis) {
  const identity = analysis?.identityAnalysis
  if (!identity) return []
  const all = [...identity.allowStatements, ...identity.denyStatements, ...identity.unmatchedStatements]
  return all
    .filter((s) => s.actionMatch)
    .map((s) => ({
      policy: s.policyId,
      sid: s.statement?.sid?.() ?? s.explain?.identifier ?? null,
      effect: s.explain?.effect,
      actionMatch: s.actionMatch,
      resourceMatch: s.resourceMatch,
      conditionMatch: s.conditionMatch === 'Match',
      resource: asList(s.explain?.resources).map((r) => r.resource),
      condition: asList(s.explain?.conditions)
        .filter((c) => !c.matches)
        .map((c) => ({ operator: c.operator, key: c.conditionKeyValue, values: asList(c.values).map((v) => v.value) }))
    }))
}

async function evaluate(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: request.context ?? {}
    },
    identityPolicies: request.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {})
  }
  if (request.resourceLevel) {
    const result = runUnsafeSimulation(simulation, {})
    // The unsafe run gives no analysis: the statements naming the action are found by a validated run on "*".
    const probe = await runSimulation(
      { ...simulation, request: { ...simulation.request, resource: { resource: '*', accountId: request.account } } },
      {}
    )
    const statements = probe.resultType === 'single' ? namingStatements(probe.result.analysis) : []
    return { result, error: null, statements }
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { result: 'Error', error: JSON.stringify(response.errors), statements: [] }
  }
  if (response.resultType === 'wildcard') {
    return { result: response.overallResult, error: 'a wildcard resource was asked for', statements: [] }
  }
  return {
    result: response.overallResult,
    error: null,
    statements: namingStatements(response.result.analysis),
    identityResult: response.result.analysis?.identityAnalysis?.result ?? null,
    resourceResult: response.result.analysis?.resourceAnalysis?.result ?? null,
    ignoredContextKeys: response.result.ignoredContextKeys ?? []
  }
}

const answers = []
for (const request of requests) {
  try {
    answers.push(await evaluate(request))
  } catch (error) {
    answers.push({ result: 'Error', error: String(error?.stack ?? error), statements: [] })
  }
}
process.stdout.write(JSON.stringify({ answers }))
