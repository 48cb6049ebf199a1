output "scrape_targets" {
  description = "Per region, the host:port to put in the Prometheus scrape config (deploy/prometheus/scrape-config.example.yml)."
  value = {
    "eu-west-1"      = coalesce(module.eu_west_1.public_scrape_target, module.eu_west_1.scrape_target)
    "us-east-1"      = coalesce(module.us_east_1.public_scrape_target, module.us_east_1.scrape_target)
    "ap-southeast-2" = coalesce(module.ap_southeast_2.public_scrape_target, module.ap_southeast_2.scrape_target)
  }
}
