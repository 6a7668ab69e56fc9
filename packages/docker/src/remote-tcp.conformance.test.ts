import { describeContainerConformance } from '@snapbox/conformance';
import { tinyImage } from '@snapbox/test-support';
import { createDockerFactory } from './index.js';
import { describeEngineSuite } from './test-support/engine-suite.js';
import { tcpEngine } from './test-support/other-engines.js';

// A second dockerd on a loopback port (scripts/ensure-remote-engines.sh starts it; a failure
// fails this file). It has its own storage: nothing is shared with the local engine.
const tcp = tcpEngine();

describeContainerConformance({
  name: tcp.name,
  factory: createDockerFactory({ docker: tcp.connection }),
  image: tinyImage,
  unsupported: {
    // scripts/ensure-remote-engines.sh leaves iptables and NAT to the local engine.
    hostPorts:
      'the test engine runs with --iptables=false --userland-proxy=false: it records published ports but forwards none',
  },
});

describeEngineSuite(tcp, { concurrency: 4 });
