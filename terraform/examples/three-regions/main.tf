# s3prober in three AWS regions. Each one probes the same external S3 endpoint (the Ceph
# cluster you want to watch from the internet, keys from SSM) and S3 itself in its own region
# (with the instance role, limited to the canary buckets).

locals {
  canary_bucket_prefix = "s3prober-canary"
  canary_key_prefix    = "s3prober/"

  config = { for region in ["eu-west-1", "us-east-1", "ap-southeast-2"] : region => templatefile("${path.module}/config.yaml.tftpl", {
    region               = region
    ceph_endpoint        = var.ceph_endpoint
    canary_bucket_prefix = local.canary_bucket_prefix
    canary_key_prefix    = local.canary_key_prefix
  }) }

  secret_parameters = {
    CEPH_ACCESS_KEY_ID     = var.ceph_secret_parameters.access_key_id
    CEPH_SECRET_ACCESS_KEY = var.ceph_secret_parameters.secret_access_key
  }
}

module "eu_west_1" {
  source    = "../../modules/s3prober-region"
  providers = { aws = aws.eu_west_1 }

  image                = var.image
  config_yaml          = local.config["eu-west-1"]
  secret_parameters    = local.secret_parameters
  canary_bucket_prefix = local.canary_bucket_prefix
  canary_key_prefix    = local.canary_key_prefix
  vpc_id               = var.networks["eu-west-1"].vpc_id
  subnet_id            = var.networks["eu-west-1"].subnet_id
  scrape_cidrs         = var.scrape_cidrs
  tags                 = { region = "eu-west-1" }
}

module "us_east_1" {
  source    = "../../modules/s3prober-region"
  providers = { aws = aws.us_east_1 }

  image                = var.image
  config_yaml          = local.config["us-east-1"]
  secret_parameters    = local.secret_parameters
  canary_bucket_prefix = local.canary_bucket_prefix
  canary_key_prefix    = local.canary_key_prefix
  vpc_id               = var.networks["us-east-1"].vpc_id
  subnet_id            = var.networks["us-east-1"].subnet_id
  scrape_cidrs         = var.scrape_cidrs
  tags                 = { region = "us-east-1" }
}

module "ap_southeast_2" {
  source    = "../../modules/s3prober-region"
  providers = { aws = aws.ap_southeast_2 }

  image                = var.image
  config_yaml          = local.config["ap-southeast-2"]
  secret_parameters    = local.secret_parameters
  canary_bucket_prefix = local.canary_bucket_prefix
  canary_key_prefix    = local.canary_key_prefix
  vpc_id               = var.networks["ap-southeast-2"].vpc_id
  subnet_id            = var.networks["ap-southeast-2"].subnet_id
  scrape_cidrs         = var.scrape_cidrs
  tags                 = { region = "ap-southeast-2" }
}
