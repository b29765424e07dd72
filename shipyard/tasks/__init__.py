"""The root Invoke collection: every shipyard task under a flat name."""

import copy

from invoke import Collection

from shipyard import cli_errors, config
from shipyard.tasks import build, ecr_login, manifest, push, release, verify
from shipyard.tasks import preflight as preflight_tasks
from shipyard.tasks import deploy as deploy_tasks
from shipyard.tasks import ecr_policy, notify

cli_errors.install()

namespace = Collection()
namespace.add_task(preflight_tasks.preflight)
namespace.add_task(ecr_login.ecr_login)
namespace.add_task(build.build)
namespace.add_task(push.push)
namespace.add_task(verify.verify)
namespace.add_task(manifest.manifest)
namespace.add_task(release.release)
namespace.add_task(ecr_policy.ecr_policy)
namespace.add_task(notify.notify)
namespace.add_task(deploy_tasks.deploy)
namespace.add_task(deploy_tasks.rollback)
namespace.add_task(deploy_tasks.releases)
namespace.add_task(deploy_tasks.lock)

namespace.configure({"shipyard": copy.deepcopy(config.DEFAULTS)})
