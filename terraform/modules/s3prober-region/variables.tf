variable "name" {
  description = "Name prefix of every resource of this deployment, e.g. \"s3prober\"."
  type        = string
  default     = "s3prober"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}$", var.name))
    error_message = "name: lowercase letters, digits and hyphens, at most 31 characters."
  }
}

variable "image" {
  description = "Container image of s3prober to run, e.g. an ECR URI \"123456789012.dkr.ecr.eu-west-1.amazonaws.com/s3prober:0.1.0\"."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the ECR repository holding the image, to grant pull access to exactly it; null when the image is public."
  type        = string
  default     = null
}

variable "config_yaml" {
  description = "s3prober configuration (YAML). Stored in SSM Parameter Store; reference secrets as $${VAR} and list them in secret_parameters."
  type        = string
}

variable "secret_parameters" {
  description = "Environment variable name => name of an existing SecureString SSM parameter in this region (e.g. S3_SECRET_KEY = \"/s3prober/ceph/secret-key\"). Created outside Terraform so secrets never enter the state."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the SecureString parameters; null for the AWS managed key alias/aws/ssm."
  type        = string
  default     = null
}

variable "canary_bucket_mode" {
  description = "\"ephemeral\": s3prober creates and deletes buckets named <canary_bucket_prefix>-* every cycle; \"fixed\": it uses the existing bucket canary_bucket_name."
  type        = string
  default     = "ephemeral"

  validation {
    condition     = contains(["ephemeral", "fixed"], var.canary_bucket_mode)
    error_message = "canary_bucket_mode: \"ephemeral\" or \"fixed\"."
  }
}

variable "canary_bucket_prefix" {
  description = "Name prefix of the canary buckets in ephemeral mode (the bucket.prefix of the s3prober target). IAM grants S3 access to buckets with this prefix only."
  type        = string
  default     = "s3prober"
}

variable "canary_bucket_name" {
  description = "Existing canary bucket in fixed mode (the bucket.name of the s3prober target)."
  type        = string
  default     = null
}

variable "canary_key_prefix" {
  description = "Object key prefix s3prober writes under (the keyPrefix of the s3prober target). IAM grants object access below it only."
  type        = string
  default     = "s3prober/"
}

variable "durable_bucket" {
  description = "Bucket of the targets' durable sets (durability.bucket), kept for ever; s3prober creates it if missing. null: no durable set. IAM grants listing it and reading and writing below <canary_key_prefix>durable/ only, never deleting: only `s3prober cleanup --durable`, run with an operator's own credentials, removes a set."
  type        = string
  default     = null
}

variable "replicated_buckets" {
  description = "Buckets at this region's endpoint that the config's replication pairs measure (replication.bucket, with replication.keyPrefix = canary_key_prefix). The operator creates them and configures their replication; s3prober never creates or deletes them. IAM grants listing them and object access below <canary_key_prefix>replication/ only."
  type        = list(string)
  default     = []
}

variable "vpc_id" {
  description = "VPC to run the prober in."
  type        = string
}

variable "subnet_id" {
  description = "Subnet for the prober instance; it needs a route to the S3 endpoints, SSM and the image registry (internet gateway, NAT or VPC endpoints)."
  type        = string
}

variable "associate_public_ip" {
  description = "Give the instance a public IP (a public subnet without NAT)."
  type        = bool
  default     = true
}

variable "instance_type" {
  description = "EC2 instance type; the prober needs little (one vCPU, 512 MiB for the container)."
  type        = string
  default     = "t3.small"
}

variable "ami_ssm_parameter" {
  description = "Public SSM parameter naming the AMI. The bootstrap script expects Debian 12 (kernel with BTF for the tracer, podman from its archive)."
  type        = string
  default     = "/aws/service/debian/release/bookworm/latest/amd64"
}

variable "scrape_port" {
  description = "Port s3prober serves /metrics on."
  type        = number
  default     = 10340
}

variable "scrape_cidrs" {
  description = "CIDR blocks allowed to reach the scrape port (your Prometheus); nothing else may connect in."
  type        = list(string)

  validation {
    condition     = length(var.scrape_cidrs) > 0 && alltrue([for c in var.scrape_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "scrape_cidrs: at least one valid CIDR, and not 0.0.0.0/0."
  }
}

variable "enable_tracer" {
  description = "Grant the container CAP_BPF and CAP_PERFMON so the eBPF wire tracer runs; without them s3prober exports client-side metrics only."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
