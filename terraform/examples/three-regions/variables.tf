variable "image" {
  description = "s3prober image reachable from all three regions (e.g. a public ECR or GHCR image)."
  type        = string
}

variable "scrape_cidrs" {
  description = "CIDR blocks of the Prometheus servers that scrape the probers."
  type        = list(string)
}

variable "networks" {
  description = "Per region (eu-west-1, us-east-1, ap-southeast-2): the VPC and a subnet with internet access for the prober."
  type = map(object({
    vpc_id    = string
    subnet_id = string
  }))
}

variable "ceph_endpoint" {
  description = "The S3 endpoint every region probes from the outside, e.g. \"https://s3.example.com\"."
  type        = string
}

variable "ceph_secret_parameters" {
  description = "Names of the SecureString SSM parameters (same name in each region) holding the access key id and secret key for ceph_endpoint."
  type = object({
    access_key_id     = string
    secret_access_key = string
  })
  default = {
    access_key_id     = "/s3prober/ceph/access-key-id"
    secret_access_key = "/s3prober/ceph/secret-access-key"
  }
}
