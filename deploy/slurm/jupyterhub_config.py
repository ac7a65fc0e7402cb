"""genlab on a Slurm cluster: JupyterHub + batchspawner, learners' servers as Slurm jobs.

NOT RUN: no Slurm cluster was available where this was written (see docs/cohort-server.md for
what was and was not validated). Use it as the starting point with the cluster's admins.

The hub runs on the cluster's login/service node; the settings are the same hub.toml as on one
machine (accounts, roster, exchange, course), with the spawner swapped for batchspawner's
SlurmSpawner. Accounts come from the cluster's directory (LDAP), not `genlab hub users sync`.
"""

from genlab.hub.config import apply, load

c = get_config()  # noqa: F821
hub = load()  # $GENLAB_HUB_CONFIG
apply(c, hub)

# learners' servers as Slurm jobs on the GPU partition
c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
c.JupyterHub.hub_ip = "0.0.0.0"  # compute nodes must reach the hub
c.SlurmSpawner.req_partition = "gpu"
c.SlurmSpawner.req_runtime = "04:00:00"
c.SlurmSpawner.req_memory = f"{int(hub.memory_gb)}G"  # enforced by Slurm's cgroups
c.SlurmSpawner.req_nprocs = str(int(hub.cpus))
c.SlurmSpawner.req_options = "--gres=gpu:0"  # learners' kernels use the shared service's GPU
c.SlurmSpawner.batch_script = """#!/bin/bash
#SBATCH --output={{homedir}}/.genlab-jupyterhub_slurmspawner_%j.log
#SBATCH --job-name=genlab-{{username}}
#SBATCH --chdir={{homedir}}
#SBATCH --export={{keepvars}}
#SBATCH --get-user-env=L
#SBATCH --partition={{partition}}
#SBATCH --time={{runtime}}
#SBATCH --mem={{memory}}
#SBATCH --cpus-per-task={{nprocs}}
{{options}}
export PATH=%s/bin:$PATH
trap 'echo SIGTERM received' TERM
{{prologue}}
{{cmd}}
echo "genlab server ended: $?"
{{epilogue}}
""" % hub.env_dir
# The exchange (hub.toml [course] exchange) and /opt/genlab-hub must be on a filesystem every
# node mounts (the cluster's shared /home or /scratch), mode 1777 for the exchange.
# The generation service: one Slurm job with a GPU (sbatch --gres=gpu:1), registered by URL in
# genlab.hub.config.services().
