// The nodes of a target in config: addresses, labels, bounds and the messages for mistakes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_MAX_NODES, DEFAULT_NODE_GRACE_MS, MAX_NODES_LIMIT, endpointPort, nodeLabel, parseNode } from '../../../src/config/nodes.js';
import { configError, minimal } from './parse.js';
import { parseConfig } from '../../../src/config/load.js';

test('node addresses: HOST, HOST:PORT, [v6]:PORT; the label is address:port', () => {
  assert.deepEqual(parseNode('10.0.0.11', 7480), { host: '10.0.0.11', port: 7480 });
  assert.deepEqual(parseNode('10.0.0.12:8443', 7480), { host: '10.0.0.12', port: 8443 });
  assert.deepEqual(parseNode('[fd00::1]:9000', 7480), { host: 'fd00::1', port: 9000 });
  assert.deepEqual(parseNode('gw1.example.com', 443), { host: 'gw1.example.com', port: 443 });
  for (const bad of ['', '10.0.0.1:0', '10.0.0.1:70000', '[nothex]:1', 'a b', 'fd00::1']) assert.equal(parseNode(bad, 80), undefined, bad);
  assert.equal(nodeLabel({ host: '127.0.0.2', port: 17480 }), '127.0.0.2:17480');
  assert.equal(nodeLabel({ host: '::1', port: 7480 }), '[::1]:7480');
  assert.equal(endpointPort('https://s3.example.com'), 443);
  assert.equal(endpointPort('http://s3.example.com'), 80);
  assert.equal(endpointPort('http://s3.example.com:7480'), 7480);
});

test('nodes in a target: defaults, bounds, and what a mistake says', () => {
  const t = parseConfig(minimal('', 'nodes: discover'), { SECRET: 'x' }).targets[0]!;
  assert.equal(t.nodes, 'discover');
  assert.equal(t.maxNodes, DEFAULT_MAX_NODES);
  assert.equal(t.nodeGrace, DEFAULT_NODE_GRACE_MS);
  assert.equal(parseConfig(minimal(), { SECRET: 'x' }).targets[0]!.nodes, undefined, 'no nodes: probed through the endpoint, as before');
  assert.match(configError(minimal('', 'nodes: everything')), /targets\.0\.nodes: expected "discover" or a list/);
  assert.match(configError(minimal('', 'nodes: ["10.0.0.1:99999"]')), /targets\.0\.nodes\.0: expected HOST or HOST:PORT/);
  assert.match(configError(minimal('', 'nodes: ["10.0.0.1"]\nresolver: "10.0.0.2"')), /targets\.0\.resolver: a resolver is only used with `nodes: discover`/);
  assert.match(configError(minimal('', 'nodes: discover\nresolver: "dns.example.com"')), /targets\.0\.resolver: expected the DNS server as IP/);
  assert.match(configError(minimal('', `maxNodes: ${MAX_NODES_LIMIT + 1}`)), /targets\.0\.maxNodes/);
  assert.match(configError(minimal('', 'nodes: ["10.0.0.1", "10.0.0.2", "10.0.0.3"]\nmaxNodes: 2')), /targets\.0\.nodes: 3 nodes listed, maxNodes is 2/);
});
