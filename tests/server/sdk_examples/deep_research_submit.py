import macrocosmos as mc

client = mc.ApexClient(api_key="your-api-key")

submitted_response = client.deep_research.create_job(
    messages=[
        {
            "role": "user",
            "content": """Can you propose a mechanism by which a decentralized network 
            of AI agents could achieve provable alignment on abstract ethical principles 
            without relying on human-defined ontologies or centralized arbitration?""",
        }
    ],
    seed=42,
    model="Default",
    sampling_parameters={
        "temperature": 0.7,
        "top_p": 0.95,
        "max_new_tokens": 8192,
        "do_sample": False
    },
) # produces a unique job_id

print(submitted_response)
